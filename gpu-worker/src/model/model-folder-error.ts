/** A folder that is not a usable model; `file` names the missing or wrong file (relative to the folder). */
export class ModelFolderError extends Error {
  override readonly name = 'ModelFolderError';

  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}
