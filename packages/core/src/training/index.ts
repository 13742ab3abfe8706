export * from './gradient';
export * from './optimizers';
export * from './schedules';
export * from './negative-phase';
export * from './trainer';
