/**
 * src/vmm: the guest-visible vSMMU a VMM presents over the host's Iommufd API.
 * GuestMemory (guest IPA space over the nest parent's IPA→PA regions), VSmmu (guest registers,
 * CMDQ forwarding policy, STE re-attach, guest EVTQ fed by the vEVENTQ).
 */
export { GuestMemory, type GuestRamRegion } from './guest-mem.ts';
export { type GuestCmdAction, classifyGuestCommand, steInvalidationTargets } from './policy.ts';
export { CERROR_ABT, CERROR_ILL, type GuestTimeout, VSmmu, type VSmmuOptions, type VSmmuState } from './vsmmu.ts';
