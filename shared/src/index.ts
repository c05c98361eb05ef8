export * from './account';
export * from './api-routes';
export * from './error-codes';
export * from './errors';
export * from './generation';
export * from './limits';
export * from './models';
export * from './worker-protocol';
