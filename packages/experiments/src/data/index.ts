export * from './csv';
export * from './mnist';
