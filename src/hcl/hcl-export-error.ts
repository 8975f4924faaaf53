/** An error in cdktf's HCL output that the export will not guess its way around. */
export class HclExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HclExportError';
  }
}
