/// The ELBO identity and the IWAE ordering on a model whose log-evidence is exact:
/// p(z) = N(0, I_2), p(x | z) = N(W z + b, sigma^2 I_3), so p(x) = N(b, W W^T + sigma^2 I) and the posterior is
/// N(mu, S) with S = (I + W^T W / sigma^2)^-1, mu = S W^T (x - b) / sigma^2. W has orthogonal columns, so S is
/// diagonal and the VAE's diagonal-Gaussian encoder (identity body + linear Gaussian head) can represent it exactly.
module BayesDL.Tests.Models.LinearGaussianVaeTests

open System
open Xunit
open TorchSharp
open MathNet.Numerics.LinearAlgebra
open BayesDL.Models
open BayesDL.Objectives
open BayesDL.Tests.TestSupport

let private W = array2D [ [ 1.0; 1.0 ]; [ 1.0; -1.0 ]; [ 0.0; 2.0 ] ] // W^T W = diag(2, 6)
let private b = [| 0.2; -0.1; 0.3 |]
let private sigma = 0.5
let private xObs = [| 1.0; -0.5; 0.8 |]
let private postVar = [| 1.0 / (1.0 + 2.0 / (sigma * sigma)); 1.0 / (1.0 + 6.0 / (sigma * sigma)) |] // 1/9, 1/25

/// Encoder loc = A x + c with A = S W^T / sigma^2, c = -A b: the exact posterior mean.
let private A = Array2D.init 2 3 (fun j i -> postVar.[j] * W.[i, j] / (sigma * sigma))
let private postMean = Array.init 2 (fun j -> Seq.sum (seq { for i in 0 .. 2 -> A.[j, i] * (xObs.[i] - b.[i]) }))

/// log N(x; b, W W^T + sigma^2 I) by MathNet's Cholesky: the exact log-evidence.
let private exactLogEvidence =
    let w = Matrix<float>.Build.DenseOfArray W
    let c = w * w.Transpose() + sigma * sigma * Matrix<float>.Build.DenseIdentity 3
    let r = Vector<float>.Build.DenseOfArray(Array.map2 (-) xObs b)
    let chol = c.Cholesky()
    -0.5 * (3.0 * log (2.0 * Math.PI) + chol.DeterminantLn + r.DotProduct(chol.Solve r))

/// The VAE with the exact posterior shifted by locShift in mean and logVarShift in log-variance (0, 0: exact).
let private model (locShift: float) (logVarShift: float) =
    engine ()
    let decoder = torch.nn.Linear(2L, 3L)
    let vae = cpu64.Apply(new Vae(torch.nn.Identity(), 3L, decoder, GaussianDecoder(Nullable sigma), 3L, 2L))
    use _ = torch.no_grad ()
    let set (p: torch.Tensor) (v: float[]) (shape: int64[]) = p.copy_(cpu64.Tensor(v, shape)) |> ignore
    set (decoder.weight :> torch.Tensor) (Seq.cast<float> W |> Seq.toArray) [| 3L; 2L |]
    set (decoder.bias :> torch.Tensor) b [| 3L |]
    let loc = vae.Head.LocLayer :?> TorchSharp.Modules.Linear
    let logVar = vae.Head.LogVarianceLayer :?> TorchSharp.Modules.Linear
    set (loc.weight :> torch.Tensor) (Seq.cast<float> A |> Seq.toArray) [| 2L; 3L |]
    set (loc.bias :> torch.Tensor) (Array.init 2 (fun j -> -(Seq.sum (seq { for i in 0 .. 2 -> A.[j, i] * b.[i] })) + locShift)) [| 2L |]
    set (logVar.weight :> torch.Tensor) (Array.zeroCreate 6) [| 2L; 3L |]
    set (logVar.bias :> torch.Tensor) (postVar |> Array.map (fun v -> log v + logVarShift)) [| 2L |]
    vae

/// n copies of the observation as a batch: each row gets its own independent posterior draw.
let private copies n = cpu64.Tensor(Array.replicate n xObs |> Array.concat, int64 n, 3L)

/// Mean and standard error of a per-row estimate.
let private meanSe (t: torch.Tensor) =
    let v = values t
    let m = Array.average v
    m, sqrt ((v |> Array.sumBy (fun a -> (a - m) ** 2.0)) / float (v.Length - 1) / float v.Length)

[<Fact>]
let ``with the exact posterior every log-weight equals log p(x), so ELBO = IWAE = log p(x)`` () =
    torch.manual_seed 11L |> ignore
    let vae = model 0.0 0.0
    use _ = torch.no_grad ()
    // log p(x, z) - log q(z | x) = log p(x) for every z when q is the exact posterior: no Monte Carlo error at all.
    for lw in values (vae.LogWeights(copies 1, 200)) do Assert.Equal(exactLogEvidence, lw, 9)
    // With the analytic KL the reconstruction term is still a one-sample estimate: its mean over 20,000 draws must
    // hit log p(x) within 5 standard errors (a false failure has probability ~6e-7).
    let m, se = meanSe (vae.Elbo(copies 20000).Elbo)
    Assert.InRange(m, exactLogEvidence - 5.0 * se, exactLogEvidence + 5.0 * se)

[<Fact>]
let ``with a wrong posterior the ELBO falls below log p(x) by exactly KL(q || posterior)`` () =
    torch.manual_seed 12L |> ignore
    let vae = model 0.3 0.5
    use _ = torch.no_grad ()
    // KL(N(m, s^2) || N(mu, v)) summed over the two independent dimensions, with m = mu + 0.3, s^2 = v e^0.5.
    let gap =
        Array.init 2 (fun j ->
            let s2 = postVar.[j] * exp 0.5
            0.5 * (s2 / postVar.[j] + 0.09 / postVar.[j] - 1.0 - log (s2 / postVar.[j])))
        |> Array.sum
    let m, se = meanSe (vae.Elbo(copies 20000).Elbo)
    Assert.True(gap > 10.0 * se, $"the test needs a gap ({gap}) well above the standard error ({se})")
    Assert.InRange(m, exactLogEvidence - gap - 5.0 * se, exactLogEvidence - gap + 5.0 * se)
    Assert.True(m < exactLogEvidence)

[<Fact>]
let ``IWAE is at least the ELBO and rises towards log p(x) as k grows`` () =
    torch.manual_seed 13L |> ignore
    let vae = model 1.0 1.0
    use _ = torch.no_grad ()
    // Sample-wise: log-mean-exp of the same log-weights is never below their mean (Jensen), for every row.
    use lw = vae.LogWeights(copies 500, 10)
    use bound = IwaeBound.FromLogWeights lw
    use mean = lw.mean([| 0L |])
    Assert.True((bound - mean).min().item<float>() >= 0.0)
    // In expectation: 4,000 independent estimates per k; differences of means must exceed 5 standard errors
    // (SE of a difference of independent means = sqrt(SE1^2 + SE2^2)), and L_50 stays below log p(x) (+5 SE).
    let estimate k = meanSe (vae.Iwae(copies 4000, k))
    let elbo = meanSe (vae.Elbo(copies 4000).Elbo)
    let ls = [ elbo; estimate 1; estimate 5; estimate 50 ]
    let (e, eSe), (l1, l1Se) = ls.[0], ls.[1]
    Assert.InRange(l1, e - 5.0 * sqrt (eSe ** 2.0 + l1Se ** 2.0), e + 5.0 * sqrt (eSe ** 2.0 + l1Se ** 2.0)) // L_1 is the ELBO
    for (lo, loSe), (hi, hiSe) in List.pairwise ls.Tail do
        Assert.True(hi - lo > 5.0 * sqrt (loSe ** 2.0 + hiSe ** 2.0), $"L_k must increase with k: {lo} -> {hi}")
    let l50, l50Se = ls.[3]
    Assert.True(l50 > e + 5.0 * sqrt (eSe ** 2.0 + l50Se ** 2.0), "IWAE(k=50) must exceed the ELBO")
    Assert.True(l50 <= exactLogEvidence + 5.0 * l50Se, $"IWAE {l50} cannot exceed log p(x) = {exactLogEvidence}")
