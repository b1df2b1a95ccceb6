/**
 * The host and guest worlds of one execution (types only, a leaf): ExecContext (context.ts) holds
 * a HostWorld; host-world.ts builds it, guest.ts builds its GuestWorld, the host steps use both.
 */
import type { BootInfo } from '../../smmu/boot.ts';
import type { SmmuDevice } from '../../smmu/device.ts';
import type { DevicePort } from '../../host/device-port.ts';
import type { Iommufd } from '../../host/iommufd.ts';
import type { ItsDoorbell, MsiSetup } from '../../host/msi.ts';
import type { Rfc2023 } from '../../host/rfc2023.ts';
import type { GuestMemory } from '../../vmm/guest-mem.ts';
import type { VSmmu } from '../../vmm/vsmmu.ts';
import type { EventRecord } from '../../scenario/observation.ts';
import type { S2Space } from './tables.ts';

export interface HostWorld {
  readonly fd: Iommufd;
  readonly rfc: Rfc2023 | undefined;
  readonly port: DevicePort;
  /** SMMUs beyond SMMU 0 (`host.smmus`), index i+1 at [i]: device and its boot addresses. */
  readonly extraSmmus: readonly { readonly dev: SmmuDevice; readonly boot: BootInfo }[];
  /** One port per SMMU (index = `host.devices[].smmu`); ports[0] is `port`. */
  readonly ports: readonly DevicePort[];
  /** Scenario device name → device object ID. */
  readonly devIds: Map<string, number>;
  /** Host object name → object ID. */
  readonly names: Map<string, number>;
  /** NEST_PARENT HWPT ID → its stage-2 tables (guest IPA space). */
  readonly parents: Map<number, S2Space>;
  /** vIOMMU ID → parent HWPT ID; vDEVICEs (vSID → device ID) and vEVENTQ per vIOMMU. */
  readonly viommuParent: Map<number, number>;
  readonly vdevs: Map<number, Map<number, number>>;
  readonly veventqOf: Map<number, number>;
  /** Nested HWPT ID → parent HWPT ID (rfc-2023). */
  readonly nestedParent: Map<number, number>;
  readonly its: ItsDoorbell;
  msi: MsiSetup | undefined;
  guest: GuestWorld | undefined;
  readonly hostLog: string[];
  readonly guestEvents: EventRecord[];
  logSeen: number;
  rfcLogSeen: number;
}

export interface GuestWorld {
  readonly gm: GuestMemory;
  readonly ram: bigint;
  readonly log2: number;
  readonly evtqLog2: number;
  vs: VSmmu | undefined;
  prod: number;
}
