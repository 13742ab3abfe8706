/** Dense associative memories: energy conventions, the model, its dynamics, and conversion to couplings. */
export * from './energy';
export * from './model';
export * from './dynamics';
export * from './convert';
