import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

// Field numbers of onnx.proto's messages that the walk below reads.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE_INPUT = 1;
const NODE_OP_TYPE = 4;
const TENSOR_DIMS = 1;
const TENSOR_NAME = 8;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Bytes read from the file at a time; weights (raw_data) are skipped, never read. */
const WINDOW = 1 << 16;

/** Positioned reads of a file through a small window, so that a multi-gigabyte graph is walked without loading its weights. */
class FileCursor {
  private readonly fd: number;
  readonly size: number;
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  close(): void {
    closeSync(this.fd);
  }

  byte(at: number): number {
    if (at < this.windowStart || at >= this.windowStart + this.window.length) {
      if (at >= this.size) throw new RangeError('truncated protobuf');
      this.window = Buffer.alloc(Math.min(WINDOW, this.size - at));
      readSync(this.fd, this.window, 0, this.window.length, at);
      this.windowStart = at;
    }
    return this.window[at - this.windowStart] as number;
  }

  bytes(at: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.byte(at + i);
    return out;
  }

  /** A varint at `at`: its value (exact below 2^53, which covers offsets, lengths and dimensions) and the offset after it. */
  varint(at: number): [number, number] {
    let value = 0;
    let scale = 1;
    for (let pos = at; pos < at + 10; pos++) {
      const b = this.byte(pos);
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return [value, pos + 1];
    }
    throw new RangeError('malformed varint');
  }
}

interface Field {
  field: number;
  wire: number;
  /** Where the field's value starts (after a length-delimited field's length). */
  start: number;
  /** Where the next field starts. */
  end: number;
  /** A varint's value, or a length-delimited field's length. */
  value: number;
}

function* fields(cursor: FileCursor, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = cursor.varint(pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === WIRE_VARINT) {
      const [value, after] = cursor.varint(afterTag);
      yield { field, wire, start: afterTag, end: after, value };
      pos = after;
    } else if (wire === WIRE_LENGTH_DELIMITED) {
      const [length, valueStart] = cursor.varint(afterTag);
      yield { field, wire, start: valueStart, end: valueStart + length, value: length };
      pos = valueStart + length;
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      pos = afterTag + (wire === WIRE_FIXED64 ? 8 : 4);
    } else {
      throw new RangeError(`unsupported protobuf wire type ${wire}`);
    }
  }
  if (pos !== end) throw new RangeError('truncated protobuf');
}

function text(cursor: FileCursor, f: Field): string {
  return cursor.bytes(f.start, f.value).toString('utf8');
}

function tensorShape(cursor: FileCursor, tensor: Field): { name: string; dims: number[] } {
  let name = '';
  const dims: number[] = [];
  for (const f of fields(cursor, tensor.start, tensor.end)) {
    if (f.field === TENSOR_NAME && f.wire === WIRE_LENGTH_DELIMITED) name = text(cursor, f);
    else if (f.field === TENSOR_DIMS && f.wire === WIRE_VARINT) dims.push(f.value);
    else if (f.field === TENSOR_DIMS && f.wire === WIRE_LENGTH_DELIMITED) {
      for (let pos = f.start; pos < f.end;) {
        const [dim, after] = cursor.varint(pos);
        dims.push(dim);
        pos = after;
      }
    }
  }
  return { name, dims };
}

function gatherInputs(cursor: FileCursor, node: Field): string[] | null {
  const inputs: string[] = [];
  let op = '';
  for (const f of fields(cursor, node.start, node.end)) {
    if (f.wire !== WIRE_LENGTH_DELIMITED) continue;
    if (f.field === NODE_INPUT) inputs.push(text(cursor, f));
    else if (f.field === NODE_OP_TYPE) op = text(cursor, f);
  }
  return op === 'Gather' ? inputs : null;
}

/**
 * The number of rows of the learned position-embedding table that an ONNX causal LM indexes with
 * its `position_ids` input (GPT-2's `wpe`): the longest input the model takes. Null when the graph
 * has no such table (rotary or ALiBi positions, or positions computed inside the graph) or the
 * file cannot be read as an ONNX model. Only the graph's structure is read; weights, inline or
 * external, are skipped.
 */
export function positionTableRows(onnxPath: string): number | null {
  let cursor: FileCursor;
  try {
    cursor = new FileCursor(onnxPath);
  } catch {
    return null;
  }
  try {
    const tables = new Map<string, number[]>();
    const indexedByPosition: string[] = [];
    for (const model of fields(cursor, 0, cursor.size)) {
      if (model.field !== MODEL_GRAPH || model.wire !== WIRE_LENGTH_DELIMITED) continue;
      for (const f of fields(cursor, model.start, model.end)) {
        if (f.wire !== WIRE_LENGTH_DELIMITED) continue;
        if (f.field === GRAPH_INITIALIZER) {
          const { name, dims } = tensorShape(cursor, f);
          if (dims.length === 2) tables.set(name, dims);
        } else if (f.field === GRAPH_NODE) {
          const inputs = gatherInputs(cursor, f);
          if (inputs?.[1] === 'position_ids' && inputs[0] !== undefined) indexedByPosition.push(inputs[0]);
        }
      }
    }
    const rows = indexedByPosition.map((name) => tables.get(name)?.[0]).filter((n): n is number => n !== undefined && n > 0);
    return rows.length === 0 ? null : Math.min(...rows);
  } catch {
    return null;
  } finally {
    cursor.close();
  }
}
