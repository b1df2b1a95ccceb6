/** Shell-quote one word of a command the tool prints for the user to run (POSIX sh single quotes), only when it needs it. */
export function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
