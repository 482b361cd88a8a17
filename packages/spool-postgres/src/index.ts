export { CHUNK_BYTES } from './body.ts';
export { spoolError } from './errors.ts';
export { openPostgresSpool, PostgresSpool, type PostgresSpoolOptions } from './postgres-spool.ts';
export { SCHEMA_VERSION } from './schema.ts';
