export * from './csv';
export * from './mnist';
export * from './npy';
export * from './model-formats';
