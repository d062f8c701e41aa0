module BayesDL.Tests.Data.ImageRotationTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Data
open BayesDL.Tests.TestSupport

let private maxAbs (a: torch.Tensor) (b: torch.Tensor) = scalar ((a - b).abs().max())

[<Fact>]
let ``rotating by 0 degrees is the identity for flat and 4-d images`` () =
    engine ()
    NativeEngine.Seed 5L
    use flat = torch.rand(6L, 784L, dtype = torch.ScalarType.Float64)
    use r = ImageRotation.Rotate(flat, 0.0)
    Assert.Equal<int64[]>(flat.shape, r.shape)
    Assert.True(maxAbs r flat < 1e-12, $"max difference {maxAbs r flat}")
    use img = torch.rand(3L, 2L, 10L, 12L, dtype = torch.ScalarType.Float64)
    use r4 = ImageRotation.Rotate(img, 0.0)
    Assert.True(maxAbs r4 img < 1e-12)
    // float32: grid coordinates (2i + 1)/W - 1 carry float32 round-off (~1e-7 relative), a few e-6 in pixels.
    use flat32 = torch.rand(6L, 784L)
    use r32 = ImageRotation.Rotate(flat32, 0.0)
    Assert.True(maxAbs r32 flat32 < 1e-5, $"max difference {maxAbs r32 flat32}")

[<Fact>]
let ``rotating by 90 degrees equals rot90 (counter-clockwise) and by 180 a flip of both axes`` () =
    engine ()
    NativeEngine.Seed 6L
    use img = torch.rand(4L, 1L, 28L, 28L, dtype = torch.ScalarType.Float64)
    use r90 = ImageRotation.Rotate(img, 90.0)
    use expected90 = torch.rot90(img, 1L, System.Nullable<struct (int64 * int64)>(struct (2L, 3L)))
    // On a square grid with align_corners = false pixel centres map onto pixel centres, so only
    // cos(90°) ≈ 6e-17 of interpolation remains, at the borders as everywhere else.
    Assert.True(maxAbs r90 expected90 < 1e-9, $"max difference {maxAbs r90 expected90}")
    use opposite = torch.rot90(img, -1L, System.Nullable<struct (int64 * int64)>(struct (2L, 3L)))
    Assert.True(maxAbs r90 opposite > 0.1, "the rotation direction must be counter-clockwise")
    use r180 = ImageRotation.Rotate(img, 180.0)
    use flipped = img.flip(2L, 3L)
    Assert.True(maxAbs r180 flipped < 1e-9)
    use flat = img.reshape(4L, 784L)
    use rflat = ImageRotation.Rotate(flat, 90.0)
    Assert.True(maxAbs (rflat.reshape(4L, 1L, 28L, 28L)) expected90 < 1e-9)

[<Fact>]
let ``a wrong image shape is an error naming the expected shape`` () =
    engine ()
    use bad = torch.rand(2L, 100L)
    let e = Assert.Throws<ArgumentException>(fun () -> ImageRotation.Rotate(bad, 15.0) |> ignore)
    Assert.Contains("[N, 784]", e.Message)
