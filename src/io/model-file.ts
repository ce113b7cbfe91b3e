/**
 * A model file in either format matc reads weights from: safetensors (what matc writes) or a
 * PyTorch checkpoint written by torch.save (.pt, .pth). The format is told by the content, the
 * zip magic `PK\x03\x04` of torch.save archives, not by the name alone; a file named like a
 * PyTorch checkpoint goes to the PyTorch reader anyway, so that its errors speak of PyTorch.
 */
import { extname } from 'node:path';
import { decodeSafetensors, readCheckpointBytes, type SafetensorsContents } from './safetensors.js';
import { isLegacyTorchFile, isZipArchive } from './torch-archive.js';
import { decodeTorchCheckpoint } from './torch-checkpoint.js';

/** Names PyTorch checkpoints usually have. */
const TORCH_EXTENSIONS = new Set(['.pt', '.pth', '.ckpt', '.bin']);

export function isTorchCheckpoint(bytes: Uint8Array, path: string): boolean {
  return isZipArchive(bytes) || isLegacyTorchFile(bytes) || TORCH_EXTENSIONS.has(extname(path).toLowerCase());
}

/** The tensors (and, for safetensors, the metadata) of `bytes`, the content of `path`. */
export function decodeModelFile(bytes: Uint8Array, path: string): SafetensorsContents {
  return isTorchCheckpoint(bytes, path) ? decodeTorchCheckpoint(bytes, path) : decodeSafetensors(bytes, path);
}

/** Read a model file, safetensors or torch.save checkpoint. A PyTorch checkpoint has no metadata ({}). */
export async function readModelFile(path: string): Promise<SafetensorsContents> {
  return decodeModelFile(await readCheckpointBytes(path), path);
}
