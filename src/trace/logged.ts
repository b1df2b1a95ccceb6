/**
 * What the v6.14+ decoded text says about an event, as event-record fields: used when the text
 * is all that survived (raw dump lines lost), and to cross-check text against raw dwords.
 */
import { type LoggedEvent } from './types.ts';
import { LINUX_CLASS_TEXT, LINUX_FETCH_MASK, LINUX_IPA_MASK } from '../linux/messages.ts';
import { setFieldValue } from '../arch/fields.ts';
import { eventField } from '../linux/event-view.ts';
import { linuxTypeByName } from '../linux/decoded-lines.ts';

/** Field values the text states (Linux prints IPA/FetchAddr masked to [51:12] / [51:3]). */
export function fieldsFromLogged(l: LoggedEvent): Record<string, bigint> {
  const f: Record<string, bigint> = {};
  const type = linuxTypeByName(l.name);
  if (type !== undefined) f['Type'] = BigInt(type);
  f['StreamID'] = l.sid;
  // ssid prints 0 when SSV=0, so only a non-zero ssid says anything.
  if (l.ssid !== 0n) {
    f['SSV'] = 1n;
    f['SubstreamID'] = l.ssid;
  }
  if (l.iova !== undefined) f['InputAddr'] = l.iova;
  if (l.ipa !== undefined) f['IPA'] = l.ipa & LINUX_IPA_MASK;
  if (l.fetchAddr !== undefined) f['FetchAddr'] = l.fetchAddr & LINUX_FETCH_MASK;
  const fl = l.flags;
  if (fl) {
    f['PnU'] = fl.priv ? 1n : 0n;
    f['InD'] = fl.inst ? 1n : 0n;
    f['RnW'] = fl.read ? 1n : 0n;
    f['S2'] = fl.s2 ? 1n : 0n;
    const cls = LINUX_CLASS_TEXT.indexOf(fl.classText);
    if (cls >= 0) f['CLASS'] = BigInt(cls);
    if (fl.ttd !== undefined) f['TTRnW'] = fl.ttd === 'read' ? 1n : 0n;
    f['Stall'] = fl.stall ? 1n : 0n;
    f['STAG'] = fl.stag;
  }
  return f;
}

/** A 4-dword record holding only what the text states, plus the names of those fields. */
export function rawFromLogged(l: LoggedEvent): { raw: bigint[]; known: string[] } {
  const f = fieldsFromLogged(l);
  const raw = [0n, 0n, 0n, 0n];
  for (const [name, v] of Object.entries(f)) setFieldValue(raw, eventField(name), v);
  return { raw, known: Object.keys(f) };
}
