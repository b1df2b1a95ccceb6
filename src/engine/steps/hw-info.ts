/** `hw_info`: IOMMU_GET_HW_INFO. Record: errno, out_data_type, data_len, max_pasid_log2, capabilities, data (u32 words, hex). */
import { hex32 } from '../../arch/fields.ts';
import { expect, int, name, obj } from '../../scenario/schema.ts';
import { type WithExpect, shape } from '../../scenario/types.ts';
import { devId, res } from '../exec/host.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface HwInfoStep extends WithExpect {
  readonly device: string;
  readonly data_len?: number;
  readonly flags?: number;
  readonly in_data_type?: number;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly hw_info: HwInfoStep;
  }
}

export const hwInfo = defineStep({
  kind: 'hw_info',
  layer: 'host',
  schema: obj(
    {
      device: name,
      data_len: int(0, 4096, 'user buffer size (default 40)'),
      flags: int(0, 0xffff_ffff, 'iommu_hw_info.flags'),
      in_data_type: int(0, 0xffff_ffff, 'in_data_type (with flags bit0)'),
      ...expect,
    },
    ['device'],
    'IOMMU_GET_HW_INFO',
  ),
  shape: shape<HwInfoStep>()(['device', 'data_len', 'flags', 'in_data_type', 'expect'], ['device']),
  example: 'hw_info: { device: nic }',
  explain: (b) => `${b.device} data_len ${b.data_len ?? 40}`,
  detail: (_b, r) => [
    uapiLine('IOMMU_GET_HW_INFO (the SMMU ID registers as struct iommu_hw_info_arm_smmuv3)', r, [
      'out_data_type',
      'data_len',
      'max_pasid_log2',
      'capabilities',
      'data',
    ]),
  ],
  run(_ctx, h, b, _n, where) {
    const r = h.fd.getHwInfo(devId(h, b.device, where), {
      dataLen: b.data_len ?? 40,
      ...(b.flags !== undefined ? { flags: b.flags } : {}),
      ...(b.in_data_type !== undefined ? { inDataType: b.in_data_type } : {}),
    });
    if (r.errno !== 0) return res(r);
    const dv = new DataView(r.data.buffer, r.data.byteOffset, r.data.length);
    const words: string[] = [];
    for (let o = 0; o + 4 <= r.data.length; o += 4) words.push(hex32(BigInt(dv.getUint32(o, true))));
    return res(r, { out_data_type: r.outDataType, data_len: r.dataLen, max_pasid_log2: r.maxPasidLog2, capabilities: r.capabilities, data: words });
  },
});
