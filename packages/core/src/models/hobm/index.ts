/** Explicit higher-order Boltzmann machines: the model, random teachers, and heat-bath sampling. */
export * from './model';
export * from './heatbath';
