export * from './special';
