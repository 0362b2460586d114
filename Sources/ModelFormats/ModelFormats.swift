// ModelFormats: reading model weight files, with no dependency on the rest of the project.
//
// - `GGUFFile`: memory-mapped GGUF v2/v3 — metadata (`GGUFValue`, typed accessors such as
//   `int(_:)`, `strings(_:)`), tensor table (`GGUFTensorInfo`, dimensions ne0 first) and
//   dequantisation to Float32 (`dequantize(_:)`, `dequantizeRows(_:rows:into:)`).
// - `GGMLType`: block sizes and byte sizes of every ggml type; `dequantize(_:elementCount:into:)`
//   decodes raw blocks of F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K–Q6_K, Q8_K.
// - `SafetensorsFile`, `ShardedSafetensors`: memory-mapped safetensors, single file or index +
//   shards; `SafetensorsWriter` writes Float32 tensors.
// - `ModelFormatError`: every failure, each naming the file it concerns.
//
// Shapes: GGUF lists dimensions contiguous-first ([ne0, ne1] is row-major (ne1, ne0));
// safetensors lists them row-major (PyTorch order). Neither reader reorders data.
