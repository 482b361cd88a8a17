export {
  DIRECTORY_FIXTURE,
  type DirectoryFixture,
  type DirectoryUnderTest,
  describeDirectoryContract,
} from './contracts/directory-contract.ts';
export {
  describeMailboxStoreContract,
  type MailboxStoreFixture,
} from './contracts/mailbox-store-contract.ts';
export {
  type ContractSpool,
  describeSpoolContract,
  type SpoolContractContext,
  type SpoolUnderTest,
} from './contracts/spool-contract.ts';
export {
  type DnsRecords,
  type DnsServer,
  type DnsServerOptions,
  type DnsZone,
  startDnsServer,
} from './dns-server.ts';
export { freePort } from './free-port.ts';
export { type LineClient, type LineClientOptions, lineClient } from './line-client.ts';
export {
  type MemoryDirectory,
  type MemoryDirectoryOptions,
  type MemoryUser,
  memoryDirectory,
} from './memory-directory.ts';
export type { MemoryFolder } from './memory-folder.ts';
export {
  type MemoryMailboxStore,
  memoryMailboxStore,
  type QuotaLimits as MemoryQuotaLimits,
} from './memory-mailbox-store.ts';
export { type PythonResult, type RunPythonOptions, runPython } from './run-python.ts';
export {
  smtpTranscript,
  TranscriptError,
  type TranscriptOptions,
  type TranscriptResult,
  type TranscriptStep,
} from './smtp-transcript.ts';
export { type TempDir, tempDir } from './temp-dir.ts';
export { parseZone, txtValue, type ZoneRecord } from './zone-lines.ts';
