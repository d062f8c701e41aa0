/// F#-friendly tensor construction over BayesDL's compute policy (TorchSharp's `torch.tensor(float[], long[])`
/// is an ambiguous overload from F#).
module BayesDL.Dsl.Tensors

open BayesDL.Engine
open TorchSharp

/// The default policy: CUDA when available, else CPU; float32.
let defaultPolicy () = ComputePolicy.Default

/// A tensor of `values` with `shape` under `policy`.
let ofArray (policy: ComputePolicy) (shape: int64 list) (values: float[]) : torch.Tensor =
    policy.Tensor(values, Array.ofList shape)

/// A vector under `policy`.
let vector (policy: ComputePolicy) (values: float[]) = ofArray policy [ int64 values.Length ] values

/// The values of a tensor as a flat float array (copied to the CPU as float64).
let toArray (t: torch.Tensor) : float[] =
    use cpu = t.detach().cpu().to_type(torch.ScalarType.Float64)
    cpu.data<float>().ToArray()

/// Seeds the engine's generator.
let seed (value: int64) = NativeEngine.Seed value
