/** ajv options shared by the runtime validator and the standalone code generator. */
export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true, verbose: true } as const;
