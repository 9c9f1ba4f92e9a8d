export { checkArray, checkArrayLike, checkObject, checkPath, checkString } from './check-arguments.js';
export { encodeNpy, type NpyArray, type NpyData, type NpyDtype, type NpyInput, parseNpy, readNpy, writeNpy } from './npy.js';
export {
  assertOutputsWritable,
  type OutputContents,
  type OutputFile,
  type OutputFolderOptions,
  writeFileAtomic,
  type WriteOptions,
  writeOutputFolder,
} from './atomic.js';
export { formatCount, zeroBasedRow } from './format-count.js';
export { toJson } from './json.js';
export { unreadableFile } from './unreadable.js';
export { labelIndices, type LoadedPool, loadSimulationPool, scoresMatrix, type SimulationFiles } from './pool-files.js';
export { shellWord } from './shell-word.js';
export { withoutByteOrderMark } from './byte-order-mark.js';
export { visibleText } from './visible-text.js';
