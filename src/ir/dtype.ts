/** Element types of graph values, which are also their WGSL scalar types. */
export type DType = 'f32' | 'i32' | 'u32';
