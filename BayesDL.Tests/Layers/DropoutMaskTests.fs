module BayesDL.Tests.Layers.DropoutMaskTests

open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport

[<Fact>]
let ``dyadic keep probabilities are recognised with their smallest exponent`` () =
    let dyadic q =
        let mutable k = 0
        let mutable m = 0L
        if DropoutMask.Dyadic(q, &k, &m) then Some(k, m) else None
    Assert.Equal(Some(1, 1L), dyadic 0.5)
    Assert.Equal(Some(2, 3L), dyadic 0.75)
    Assert.Equal(Some(6, 1L), dyadic (1.0 / 64.0))
    Assert.Equal(None, dyadic 0.8)
    Assert.Equal(None, dyadic (1.0 / 128.0))
    Assert.Equal(None, dyadic 1.0)

[<Fact>]
let ``masks keep each element with the requested probability, independently of their neighbours`` () =
    engine ()
    NativeEngine.Seed 31L
    let n = 200_000L
    use like = torch.zeros(1L)
    for q in [ 0.5; 0.75; 0.25; 0.8 ] do
        use mask = DropoutMask.Draw([| 400L; n / 400L |], q, like)
        Assert.Equal<int64[]>([| 400L; n / 400L |], mask.shape)
        Assert.Equal(torch.ScalarType.Float32, mask.dtype)
        Assert.All(values mask, fun v -> Assert.True((v = 0.0 || v = 1.0)))
        // Fraction kept: SE = sqrt(q(1-q)/n) <= 0.00112; 5 SE.
        let se = sqrt (q * (1.0 - q) / float n)
        Assert.InRange(scalar (mask.mean()), q - 5.0 * se, q + 5.0 * se)
        // Pairs at lag 1 (bits of one random word) and lag 30 (the same bit of adjacent words) are kept together with
        // probability q². Each product shares one factor with the products `lag` before and after it and is independent
        // of the rest: Var(mean) ≈ (γ0 + 2γ1)/n with γ0 = q²(1-q²), γ1 = q³ - q⁴ (the shared-factor covariance); 5 SE.
        use flat = mask.flatten()
        for lag in [ 1L; 30L ] do
            use both = flat.narrow(0L, 0L, n - lag) * flat.narrow(0L, lag, n - lag)
            let pairSe = sqrt ((q * q * (1.0 - q * q) + 2.0 * q ** 3.0 * (1.0 - q)) / float (n - lag))
            Assert.InRange(scalar (both.mean()), q * q - 5.0 * pairSe, q * q + 5.0 * pairSe)
