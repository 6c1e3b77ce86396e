/**
 * The subset of TensorFlow Lite's flatbuffer schema (tensorflow/lite/schema/schema.fbs, file identifier "TFL3",
 * schema version 3) that the TFLite writer emits, with the numbers copied from schema.fbs so the writer never
 * spells a magic number.
 *
 * Field ids are the declaration order of each table's fields (deprecated fields keep their slot); a union field
 * `x:U` occupies two slots, `x_type` (ubyte) and then `x` itself. `fields` below is each table's field count, used
 * for `startObject`. Only tables and fields the writer sets are listed; readers skip what is absent.
 */

/** `enum TensorType : byte`. */
export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2 } as const;

/** `enum BuiltinOperator : int32` (values below 127 also fit the legacy byte field `deprecated_builtin_code`). */
export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTH_TO_SPACE: 5,
  DEQUANTIZE: 6,
  MUL: 18,
  SLICE: 65,
  RESIZE_NEAREST_NEIGHBOR: 97,
  LEAKY_RELU: 98,
} as const;
export type BuiltinOperatorCode = (typeof BuiltinOperator)[keyof typeof BuiltinOperator];

/** BuiltinOperator_PLACEHOLDER_FOR_GREATER_OP_CODES: codes from here on live only in `builtin_code`. */
export const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

/** `union BuiltinOptions` member indices (0 = NONE). */
export const BuiltinOptions = {
  NONE: 0,
  Conv2DOptions: 1,
  Pool2DOptions: 5,
  ConcatenationOptions: 10,
  AddOptions: 11,
  MulOptions: 21,
  DequantizeOptions: 38,
  SliceOptions: 48,
  ResizeNearestNeighborOptions: 74,
  LeakyReluOptions: 75,
  DepthToSpaceOptions: 94,
} as const;

/** `enum Padding : byte`. */
export const Padding = { SAME: 0, VALID: 1 } as const;

/** `enum ActivationFunctionType : byte`. */
export const ActivationFunctionType = { NONE: 0 } as const;

/** Schema version written in Model.version. */
export const TFLITE_SCHEMA_VERSION = 3;
/** Four bytes at offset 4 of every .tflite file. */
export const TFLITE_FILE_IDENTIFIER = "TFL3";

/** Table layouts: field id per field, and the field count. */
export const Schema = {
  Model: {
    fields: 8,
    version: 0,
    operator_codes: 1,
    subgraphs: 2,
    description: 3,
    buffers: 4,
    metadata_buffer: 5,
    metadata: 6,
    signature_defs: 7,
  },
  OperatorCode: { fields: 4, deprecated_builtin_code: 0, custom_code: 1, version: 2, builtin_code: 3 },
  SubGraph: { fields: 5, tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  Tensor: { fields: 6, shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, is_variable: 5 },
  Operator: {
    fields: 7,
    opcode_index: 0,
    inputs: 1,
    outputs: 2,
    builtin_options_type: 3,
    builtin_options: 4,
    custom_options: 5,
    custom_options_format: 6,
  },
  /** `data:[ubyte] (force_align: 16)`. */
  Buffer: { fields: 1, data: 0 },
  SignatureDef: { fields: 5, inputs: 0, outputs: 1, signature_key: 2, deprecated_tag: 3, subgraph_index: 4 },
  TensorMap: { fields: 2, name: 0, tensor_index: 1 },
  Conv2DOptions: {
    fields: 6,
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    fused_activation_function: 3,
    dilation_w_factor: 4,
    dilation_h_factor: 5,
  },
  Pool2DOptions: {
    fields: 6,
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    filter_width: 3,
    filter_height: 4,
    fused_activation_function: 5,
  },
  ConcatenationOptions: { fields: 2, axis: 0, fused_activation_function: 1 },
  AddOptions: { fields: 1, fused_activation_function: 0 },
  MulOptions: { fields: 1, fused_activation_function: 0 },
  DequantizeOptions: { fields: 0 },
  SliceOptions: { fields: 0 },
  ResizeNearestNeighborOptions: { fields: 2, align_corners: 0, half_pixel_centers: 1 },
  LeakyReluOptions: { fields: 1, alpha: 0 },
  DepthToSpaceOptions: { fields: 1, block_size: 0 },
} as const;

/** Buffer.data's `force_align: 16`. */
export const BUFFER_ALIGNMENT = 16;

/**
 * Operator versions, as TFLite's op_version.cc assigns them for these options and float32 tensors (a runtime
 * refuses a model whose op version it does not know). DEQUANTIZE of a float16 tensor is version 3.
 */
export const OP_VERSIONS: Readonly<Record<BuiltinOperatorCode, number>> = {
  [BuiltinOperator.ADD]: 1,
  [BuiltinOperator.AVERAGE_POOL_2D]: 1,
  [BuiltinOperator.CONCATENATION]: 1,
  [BuiltinOperator.CONV_2D]: 1,
  [BuiltinOperator.DEPTH_TO_SPACE]: 1,
  [BuiltinOperator.DEQUANTIZE]: 3,
  [BuiltinOperator.MUL]: 1,
  [BuiltinOperator.SLICE]: 1,
  [BuiltinOperator.RESIZE_NEAREST_NEIGHBOR]: 1,
  [BuiltinOperator.LEAKY_RELU]: 1,
};
