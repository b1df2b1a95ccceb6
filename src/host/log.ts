/**
 * The host layer's kernel log lines come from the one Linux kernel-log module, src/linux/
 * (writer and parser side by side). Kept as a re-export so code written against the old path
 * still builds; new code imports src/linux/messages.ts.
 */
export * from '../linux/messages.ts';
