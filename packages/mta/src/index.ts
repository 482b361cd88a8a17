// The transfer agent's public API: inbound (port 25 → spool), outbound (spool → next hop) and
// the DSN machinery between them. Each part keeps its own index so it can grow on its own.

export { type DeliveryWorker, type DeliveryWorkerOptions, startDeliveryWorker } from './delivery-worker.ts';
export * from './dsn/index.ts';
export * from './inbound/index.ts';
export * from './outbound/index.ts';
