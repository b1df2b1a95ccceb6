/** src/arch public surface: field-table codecs for every SMMUv3 in-memory structure. */
export * from './fields.ts';
export * from './ste.ts';
export * from './cd.ts';
export * from './l1std.ts';
export * from './command.ts';
export * from './event.ts';
