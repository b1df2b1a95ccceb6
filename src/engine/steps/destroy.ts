/** `destroy`: IOMMU_DESTROY of a host object. Record: errno. */
import { expect, name, obj } from '../../scenario/schema.ts';
import { type WithExpect, shape } from '../../scenario/types.ts';
import { objId, res } from '../exec/host.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface DestroyStep extends WithExpect {
  readonly object: string;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly destroy: DestroyStep;
  }
}

export const destroy = defineStep({
  kind: 'destroy',
  layer: 'host',
  schema: obj({ object: name, ...expect }, ['object'], 'IOMMU_DESTROY'),
  shape: shape<DestroyStep>()(['object', 'expect'], ['object']),
  example: 'destroy: { object: nested }',
  explain: (b) => b.object,
  detail: (b, r) => [uapiLine(`IOMMU_DESTROY ${b.object}`, r)],
  refs: (b, t, at) => t.ref(t.objects('*'), 'host object', b.object, [...at, 'object']),
  run: (_ctx, h, b, _n, _where) => res(h.fd.destroy(objId(h, b.object))),
});
