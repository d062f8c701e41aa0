module BayesDL.Tests.Engine.ComputePolicyTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Tests.TestSupport

[<Fact>]
let ``the default policy is float32 on the best device and Float64 switches precision only`` () =
    engine ()
    let p = ComputePolicy.Default
    Assert.Equal(torch.ScalarType.Float32, p.Dtype)
    Assert.Equal((if torch.cuda.is_available() then DeviceType.CUDA else DeviceType.CPU), p.Device.``type``)
    let p64 = p.Float64()
    Assert.Equal(torch.ScalarType.Float64, p64.Dtype)
    Assert.Equal(p.Device.``type``, p64.Device.``type``)

[<Fact>]
let ``tensors are made with the policy's shape, dtype and device`` () =
    engine ()
    use t = cpu64.Tensor([| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 |], 2L, 3L)
    Assert.Equal<int64[]>([| 2L; 3L |], t.shape)
    Assert.Equal(torch.ScalarType.Float64, t.dtype)
    Assert.Equal(6.0, scalar t[1, 2])

[<Fact>]
let ``a shape that does not fit the values is an error naming both`` () =
    engine ()
    let e = Assert.Throws<ArgumentException>(fun () -> cpu64.Tensor([| 1.0; 2.0; 3.0 |], 2L, 2L) |> ignore)
    Assert.Contains("3 values", e.Message)
    Assert.Contains("[2, 2]", e.Message)
