/// ADVI (Kucukelbir et al. 2017) on models whose posterior is known exactly: a Bayesian linear regression with known noise and a
/// Gaussian prior, whose posterior N(m, S) with S = (X^T X / s^2 + I / t^2)^-1, m = S X^T y / s^2, is Gaussian and correlated.
/// Full-rank (and, in 3 dimensions, rank-2) guides contain it, so the ELBO's optimum is the posterior itself, and there the ELBO
/// equals log p(y) exactly (log p~(x) - log q(x) is constant). The mean-field optimum is known too: the exact mean with variances
/// 1 / Lambda_ii (Lambda = S^-1), below the marginal variances S_ii (Bishop 2006, sec. 10.1.2).
module BayesDL.Tests.Variational.AdviTests

open System
open Xunit
open Xunit.Abstractions
open TorchSharp
open BayesDL.Distributions
open BayesDL.Examples
open BayesDL.Modeling
open BayesDL.Plotting
open BayesDL.Variational
open BayesDL.Tests.TestSupport

let private noise, priorScale = 1.0, 2.0

/// A design with strongly correlated columns (so the posterior is correlated) and its responses.
let private regression () =
    let n = 20
    let rng = Random 5
    let u = Array.init n (fun i -> -1.0 + 2.0 * float i / float (n - 1))
    let rows = u |> Array.map (fun v -> [| 1.0; v; v + 0.3 * (rng.NextDouble() - 0.5) |])
    let x = torch.tensor(Array.concat rows, dtype = torch.ScalarType.Float64).reshape(int64 n, 3L)
    let y = torch.tensor(rows |> Array.map (fun r -> 0.5 + 1.0 * r[1] - 0.5 * r[2] + noise * (rng.NextDouble() - 0.5) * 3.4),
                         dtype = torch.ScalarType.Float64)
    x, y

let private model (x: torch.Tensor) (y: torch.Tensor) =
    Model.Create("conjugate regression", (fun m ->
        let beta = m.Sample("beta", Dist.Normal(0.0, priorScale, m.Policy), [| 3L |])
        m.Observe("y", Dist.Normal(beta.matmul(x.T), torch.tensor(noise, dtype = torch.ScalarType.Float64)), y)), null)

/// The exact posterior mean and covariance, and log p(y) from Bayes' rule at the posterior mean m:
/// log p(y) = log p(y | m) + log p(m) - log p(m | y), with log p(m | y) = -log det(2 pi S) / 2.
let private exact (x: torch.Tensor) (y: torch.Tensor) =
    let precision = x.T.matmul(x) / (noise * noise) + torch.eye(3L, dtype = torch.ScalarType.Float64) / (priorScale * priorScale)
    let cov = torch.linalg.inv precision
    let mean = cov.matmul(x.T.matmul(y)) / (noise * noise)
    let f64 (v: float) = torch.tensor(v, dtype = torch.ScalarType.Float64)
    let likelihood = Dist.Normal(x.matmul(mean), f64 noise).LogProb(y).sum() |> scalar
    let prior = Dist.Normal(f64 0.0, f64 priorScale).LogProb(mean).sum() |> scalar
    let logDetS = torch.linalg.cholesky(cov).diagonal().log().sum() * 2.0 |> scalar
    let evidence = likelihood + prior + 0.5 * (3.0 * log (2.0 * Math.PI) + logDetS)
    mean, cov, precision, evidence

/// KL(N(mq, Sq) || N(m, S)) = (tr(S^-1 Sq) + (m - mq)^T S^-1 (m - mq) - P + log det S - log det Sq) / 2.
let private gaussianKL (mq: torch.Tensor) (sq: torch.Tensor) (m: torch.Tensor) (s: torch.Tensor) =
    let precision = torch.linalg.inv s
    let d = (m - mq).unsqueeze(1)
    let logDet (a: torch.Tensor) = torch.linalg.cholesky(a).diagonal().log().sum() * 2.0
    0.5 * scalar (precision.matmul(sq).trace() + d.T.matmul(precision).matmul(d).squeeze() - float m.shape[0] + logDet s - logDet sq)

/// ELBO(q) = log p(y) - KL(q || p) exactly: the fit's estimate (the mean of log p~ - log q over 1,000 draws) against the exact
/// evidence minus the fitted guide's exact KL, within 4 of the estimate's own Monte Carlo standard errors.
let private assertElbo (posterior: AdviPosterior) (exactMean: torch.Tensor) (exactCov: torch.Tensor) (evidence: float) =
    let kl = gaussianKL posterior.Guide.Mean posterior.Guide.Covariance exactMean exactCov
    Assert.True(abs (evidence - kl - posterior.Elbo) < 4.0 * posterior.ElboStandardError,
                sprintf "ELBO %.5f (se %.5f) vs log p(y) - KL = %.5f - %.5f" posterior.Elbo posterior.ElboStandardError evidence kl)
    kl

/// 3,000 Adam steps (base rate 0.05, cosine-annealed) of M = 512 draws each, the guide being the average of the last N = 750
/// iterates. The 512 draws are scored in one batched call, so they cost little more than 32 do (about 1 s per 300 steps).
let private steps, gradientDraws = 3000, 512

/// From Stan's start, the origin in the model's coordinates (the Laplace start would begin at the exact answer for this Gaussian
/// posterior; these tests hold the optimizer itself to the tolerances below), or from the default Laplace start.
let private fitFrom initialization family (m: Model) =
    Advi.Fit(m, AdviOptions(Family = family, Rank = 2, Steps = steps, GradientDraws = gradientDraws, LearningRate = 0.05, Seed = 3L,
                            Initialization = initialization))

let private fit family (m: Model) = fitFrom AdviInitialization.Origin family m

/// The tolerances are 4 standard errors of the averaged iterates (Polyak & Juditsky 1992), N M = 384,000 draws in all.
/// Near the optimum, the ELBO's gradient in mu is -Lambda (mu - m) plus noise of covariance Lambda Sq Lambda / M per step (Sq the
/// guide's covariance), so the average of N iterates has covariance Sq / (N M): each mean is off by 1 / sqrt(N M) = 0.0016 of
/// the target's sd. In the whitened coordinates of a guide that contains the posterior, a log-scale omega_i has curvature 2
/// and gradient noise eps_i^2 / M, of variance 2 / M, so the variance exp(2 omega_i) is off by sqrt(2 / (N M)) = 0.0023 of
/// itself (the covariances, whose noise is (1 + rho^2) / (N M), less). A mean-field guide's gradient in omega_i has the extra
/// noise sum_j (j != i) eps_i rho_ij eps_j, rho the standardised precision, of variance c_i = sum_j rho_ij^2, so its
/// variances are off by sqrt((2 + c_i) / (N M)). Adam and the annealed rate are not plain averaged SGD, so this was measured:
/// over seeds 3-8 the largest errors were 0.0039 sd (means; 2.4 SE for the largest of 3), 0.0060 (covariances of full and low
/// rank; 2.6 SE for the largest of 6) and 0.0037 (mean-field variances; 1.3 SE). Base rate 0.02 (with M = 256) left a bias of
/// -0.006 to -0.009 in the largest variance (too slow a start along the long axis), which these tolerances would catch.
/// A planted missing log-det-Jacobian moves log s (below) by 0.50 sd; a planted missing low-rank capacitance term in H[q]
/// moves a covariance by 0.96.
let private averaged = float (steps / 4 * gradientDraws)
let private meanTolerance = 4.0 / sqrt averaged
let private covTolerance (crossNoise: float) = 4.0 * sqrt ((2.0 + crossNoise) / averaged)

/// Guide and target agree: each mean within meanTolerance target sd, each covariance entry within covTolerance sqrt(S_ii S_jj).
/// A wrong entropy, a missing log-det-Jacobian or a biased gradient moves the optimum by far more.
let private assertGaussian (name: string) (crossNoise: float) (mean: torch.Tensor) (cov: torch.Tensor) (exactMean: torch.Tensor)
                           (exactCov: torch.Tensor) =
    let sd = exactCov.diagonal().sqrt()
    let meanError = ((mean - exactMean).abs() / sd).max() |> scalar
    let covError = ((cov - exactCov).abs() / sd.outer(sd)).max() |> scalar
    Assert.True(meanError < meanTolerance, sprintf "%s: mean off by %.4f target sd, above %.4f (mean %A, exact %A)"
                                                  name meanError meanTolerance (values mean) (values exactMean))
    let tolerance = covTolerance crossNoise
    Assert.True(covError < tolerance, sprintf "%s: covariance off by %.4f, above %.4f (guide %A, exact %A)"
                                             name covError tolerance (values cov) (values exactCov))
    meanError, covError, tolerance

type AdviExactTests(out: ITestOutputHelper) =
    let report name (posterior: AdviPosterior) (meanError, covError, tolerance) kl =
        out.WriteLine(sprintf "%s: mean off by %.4f sd (tolerance %.4f), covariance by %.4f (%.4f); ELBO %.5f (se %.5f), KL %.5f, %.1f s"
                          name meanError meanTolerance covError tolerance posterior.Elbo posterior.ElboStandardError kl
                          posterior.Elapsed.TotalSeconds)

    [<Fact>]
    member _.``full-rank ADVI recovers the exact Gaussian posterior, and its ELBO is log p(y)`` () =
        engineOneThread ()
        let x, y = regression ()
        let exactMean, exactCov, _, evidence = exact x y
        use posterior = fit GuideFamily.FullRank (model x y)
        let errors = assertGaussian "full rank" 0.0 posterior.Guide.Mean posterior.Guide.Covariance exactMean exactCov
        let kl = assertElbo posterior exactMean exactCov evidence
        report "full rank" posterior errors kl
        out.WriteLine(sprintf "log p(y) %.5f" evidence)
        // The named summary of the guide's draws: means within 4 MCSE of the exact ones (plus the fit's tolerance).
        let sd, em = values (exactCov.diagonal().sqrt()), values exactMean
        for i in 0..2 do
            let row = posterior[sprintf "beta[%d]" (i + 1)]
            Assert.True(abs (row.Mean - em[i]) < 4.0 * row.Mcse + meanTolerance * sd[i], sprintf "%O vs exact mean %g" row em[i])
        Assert.Equal(steps, posterior.ElboTrace.Count)
        Assert.True(Seq.average (Seq.take 100 posterior.ElboTrace) < Seq.average (Seq.skip (steps - 100) posterior.ElboTrace))

    [<Fact>]
    member _.``low-rank ADVI of rank 2 recovers the exact posterior in three dimensions`` () =
        engineOneThread ()
        let x, y = regression ()
        let exactMean, exactCov, _, evidence = exact x y
        use posterior = fit GuideFamily.LowRank (model x y)
        let errors = assertGaussian "low rank" 0.0 posterior.Guide.Mean posterior.Guide.Covariance exactMean exactCov
        report "low rank" posterior errors (assertElbo posterior exactMean exactCov evidence)

    [<Fact>]
    member _.``mean-field ADVI finds the exact mean but the variances 1 / Lambda_ii, below the marginal ones`` () =
        engineOneThread ()
        let x, y = regression ()
        let exactMean, exactCov, precision, evidence = exact x y
        use posterior = fit GuideFamily.MeanField (model x y)
        let meanFieldCov = torch.diag(1.0 / precision.diagonal())
        let d = precision.diagonal().rsqrt()
        let rho = precision * d.outer(d)
        let crossNoise = (rho.square().sum(1) - 1.0).max() |> scalar
        let errors = assertGaussian "mean field" crossNoise posterior.Guide.Mean posterior.Guide.Covariance exactMean meanFieldCov
        let ratio = posterior.Guide.Covariance.diagonal() / exactCov.diagonal() |> values
        out.WriteLine(sprintf "mean-field variance / exact marginal variance: %A" ratio)
        // The two correlated slopes: far below; the intercept, nearly uncorrelated with them, about equal (1 / Lambda_11 S_11 ~ 1).
        Assert.True(ratio[1] < 0.5 && ratio[2] < 0.5, sprintf "ratios %A" ratio)
        // Its ELBO falls short of log p(y) by KL(q || p), at the optimum (sum_i log Lambda_ii + log det S) / 2.
        let kl = assertElbo posterior exactMean exactCov evidence
        report "mean field" posterior errors kl
        let logDetS = scalar (torch.linalg.cholesky(exactCov).diagonal().log().sum() * 2.0)
        let optimumKL = 0.5 * (scalar (precision.diagonal().log().sum()) + logDetS)
        Assert.True(optimumKL > 0.5, sprintf "a strongly correlated test posterior (KL of the mean-field optimum %.3f)" optimumKL)
        // Near the optimum the excess KL is quadratic: errors at the tolerances add at most 1/2 * 3 * 2 meanTolerance^2 (the mean
        // part, Lambda standardised having eigenvalues below 2) + 3 * covTolerance^2 / 4 (the variances), below 3e-4.
        Assert.True(kl >= optimumKL && kl - optimumKL < 1e-3, sprintf "KL %.5f vs the optimum's %.5f" kl optimumKL)

    /// A positive s with a flat prior and y_i ~ N(log s, 1): on the unconstrained x = log s the density is
    /// prod_i N(y_i | x, 1) e^x (the e^x is the log-det-Jacobian of s = e^x), so the posterior of x is exactly
    /// N(mean(y) + 1/n, 1/n); without the Jacobian it would be N(mean(y), 1/n), 1 / sqrt n = 0.5 sd away. The summary
    /// reports s on the constrained scale: log-normal, of mean exp(mean + var / 2).
    [<Fact>]
    member _.``on a positive parameter ADVI fits the log-scale posterior with its Jacobian and reports the constrained scale`` () =
        engineOneThread ()
        let ys = [| 0.3; -0.4; 1.1; 0.6 |]
        let n = float ys.Length
        let data = torch.tensor(ys, dtype = torch.ScalarType.Float64)
        let positive =
            Model.Create("log-normal", (fun m ->
                let s = m.Sample("s", BayesDL.Transforms.Constraint.Positive)
                m.Observe("y", Dist.Normal(s.log(), torch.tensor(1.0, dtype = torch.ScalarType.Float64)), data)), null)
        use posterior = fit GuideFamily.MeanField positive
        let mu, var = Array.average ys + 1.0 / n, 1.0 / n
        let f64 (v: float) = torch.tensor([| v |], dtype = torch.ScalarType.Float64)
        let guide = posterior.Guide
        let meanError, varError, _ = assertGaussian "log s" 0.0 guide.Mean guide.Covariance (f64 mu) (torch.diag (f64 var))
        out.WriteLine(sprintf "log s: mean off by %.4f sd, variance by %.4f" meanError varError)
        let row = posterior["s"]
        let expected = exp (mu + var / 2.0)
        // The fit's tolerances moved through E[s] = exp(mu + var / 2): d E[s] = E[s] (d mu + d var / 2).
        let tolerance = 4.0 * row.Mcse + expected * (meanTolerance * sqrt var + covTolerance 0.0 * var / 2.0)
        Assert.True(abs (row.Mean - expected) < tolerance, sprintf "%O vs the log-normal mean %g (tolerance %g)" row expected tolerance)

    [<Fact>]
    member _.``the ELBO trace plots as a PNG`` () =
        engineOneThread ()
        let x, y = regression ()
        use posterior = Advi.Fit(model x y, AdviOptions(Family = GuideFamily.MeanField, Steps = 200, Draws = 100))
        use dir = new TempDir()
        let path = ElboTracePlot.Save(posterior.ElboTrace, dir.File "elbo.png", skip = 10)
        Assert.True(IO.File.Exists path)

/// The Laplace start on the conjugate regression, whose log density is quadratic: one Newton step lands on the mode, the second
/// confirms it (decrement below 1e-8), and there the negative Hessian is the exact precision, so x* = m and K^-1 = S up to
/// rounding (1e-8 relative; a Hessian off by a factor or a transposed row is off by far more).
[<Fact>]
let ``the Laplace start finds the exact mode and precision of a Gaussian posterior in one Newton step`` () =
    engineOneThread ()
    let x, y = regression ()
    let exactMean, exactCov, precision, _ = exact x y
    let struct (mode, k, start) = LaplaceStart.Find(model x y, 100)
    Assert.Equal(AdviInitialization.Laplace, start.Initialization)
    Assert.Equal(1, start.NewtonSteps)
    let sd = exactCov.diagonal().sqrt()
    let modeError = ((mode - exactMean).abs() / sd).max() |> scalar
    let precisionError = ((k - precision).abs() / precision.diagonal().sqrt().outer(precision.diagonal().sqrt())).max() |> scalar
    Assert.True(modeError < 1e-8 && precisionError < 1e-8, sprintf "mode off by %g sd, precision by %g" modeError precisionError)

/// Full-rank ADVI from the (default) Laplace start, held to the same tolerances as from the origin: the start is the answer
/// here, and the whitened optimisation must stay there (a wrong log |det A| in H[q] or log q would move the ELBO, a wrong
/// mapping of the whitened coordinates the mean and covariance).
type AdviLaplaceStartTests(out: ITestOutputHelper) =
    [<Fact>]
    member _.``full-rank ADVI from the Laplace start recovers the exact posterior and its ELBO`` () =
        engineOneThread ()
        let x, y = regression ()
        let exactMean, exactCov, _, evidence = exact x y
        use posterior = fitFrom AdviInitialization.Laplace GuideFamily.FullRank (model x y)
        Assert.Equal(AdviInitialization.Laplace, posterior.Start.Initialization)
        let meanError, covError, tolerance =
            assertGaussian "full rank, Laplace start" 0.0 posterior.Guide.Mean posterior.Guide.Covariance exactMean exactCov
        let kl = assertElbo posterior exactMean exactCov evidence
        out.WriteLine(sprintf "%s; mean off by %.4f sd, covariance by %.4f (%.4f); KL %.6f; %.1f s"
                          posterior.Start.Note meanError covError tolerance kl posterior.Elapsed.TotalSeconds)

    [<Fact>]
    member _.``mean-field and low-rank ADVI from the Laplace start find their exact optima`` () =
        engineOneThread ()
        let x, y = regression ()
        let exactMean, exactCov, precision, evidence = exact x y
        use lowRank = fitFrom AdviInitialization.Laplace GuideFamily.LowRank (model x y)
        assertGaussian "low rank, Laplace start" 0.0 lowRank.Guide.Mean lowRank.Guide.Covariance exactMean exactCov |> ignore
        assertElbo lowRank exactMean exactCov evidence |> ignore
        use meanField = fitFrom AdviInitialization.Laplace GuideFamily.MeanField (model x y)
        let d = precision.diagonal().rsqrt()
        let crossNoise = ((precision * d.outer(d)).square().sum(1) - 1.0).max() |> scalar
        let target = torch.diag(1.0 / precision.diagonal())
        assertGaussian "mean field, Laplace start" crossNoise meanField.Guide.Mean meanField.Guide.Covariance exactMean target |> ignore
        out.WriteLine(sprintf "low rank %.1f s, mean field %.1f s" lowRank.Elapsed.TotalSeconds meanField.Elapsed.TotalSeconds)

/// A density without a mode (y = 0 ~ N(0, e^v): log p~ = -v + const rises without bound as v falls) falls back to the origin
/// and says why.
[<Fact>]
let ``without a mode the Laplace start falls back to the origin and says why`` () =
    engineOneThread ()
    let zero = torch.tensor([| 0.0 |], dtype = torch.ScalarType.Float64)
    let unbounded =
        Model.Create("unbounded", (fun m ->
            let v = m.Sample("v", BayesDL.Transforms.Constraint.Real)
            m.Observe("y", Dist.Normal(torch.zeros_like(v), v.exp()), zero)), null)
    use posterior = Advi.Fit(unbounded, AdviOptions(Family = GuideFamily.MeanField, Steps = 100, Draws = 10, NewtonSteps = 20))
    Assert.Equal(AdviInitialization.Origin, posterior.Start.Initialization)
    Assert.Contains("Origin start", posterior.Start.Note)

[<Fact>]
let ``each guide's log q(x) is the multivariate normal density of its mean and covariance`` () =
    engineOneThread ()
    let x, y = regression ()
    for family in [ GuideFamily.MeanField; GuideFamily.LowRank; GuideFamily.FullRank ] do
        // 200 short steps: a guide away from its start, with correlations (and, for low rank, a capacitance) not the identity.
        use posterior = Advi.Fit(model x y, AdviOptions(Family = family, Rank = 2, Steps = 200, Draws = 10, Seed = 1L))
        let guide = posterior.Guide
        let points = guide.Sample 7L * 1.5
        let expected = Dist.MultivariateNormal(guide.Mean, guide.Covariance).LogProb(points) |> values
        let actual = guide.LogProb points |> values
        Array.iteri2 (fun i (a: float) (e: float) -> Assert.True(abs (a - e) < 1e-9, sprintf "%A row %d: %g vs %g" family i a e))
                     actual expected

[<Fact>]
let ``bad settings and a start where the density is not finite are errors naming them`` () =
    engine ()
    let x, y = regression ()
    let e = Assert.Throws<ArgumentException>(fun () -> Advi.Fit(model x y, AdviOptions(Family = GuideFamily.LowRank, Rank = 4)) |> ignore)
    Assert.Contains("Rank", e.Message); Assert.Contains("dimension 3", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> Advi.Fit(model x y, AdviOptions(Steps = 150)) |> ignore)
    Assert.Contains("Steps", e.Message)
    let steep =
        Model.Create("steep", (fun m ->
            let v = m.Sample("v", BayesDL.Transforms.Constraint.Real)
            m.Observe("obs", Dist.Normal(v, torch.tensor(1.0, dtype = torch.ScalarType.Float64)), torch.tensor [| 1e200 |])), null)
    let e = Assert.Throws<ArgumentException>(fun () -> Advi.Fit(steep) |> ignore)
    Assert.Contains("Advi.Fit", e.Message); Assert.Contains("first in the term of 'obs'", e.Message)

/// Full-rank ADVI against posteriordb's reference means: within 0.1 reference sd (opt-in with BAYESDL_POSTERIORDB=1).
/// The three are regressions on unstandardised predictors (sblrc's X has sd ~200, mom_iq and height ~100 and ~66), whose
/// posteriors are narrow (beta sd 0.001) or have a long intercept-slope ridge. From the origin in the model's coordinates
/// (AdviInitialization.Origin) the fit moves along that ridge too slowly and failed (2026-12-03, seed 1, 10,000 steps: sblrc
/// sigma 12.1 against 1.04, kidiq intercept 1.3 against 25.9, earnings intercept 0.26 against 5.78). From the default Laplace
/// start, optimised in the coordinates it whitens, all means were within 0.04 sd (2026-12-04, seed 1; largest: sblrc beta[2]
/// 0.038, kidiq beta[2] 0.035, earnings beta[1] 0.020).
type AdviPosteriorDbTests(out: ITestOutputHelper) =
    let check (name: string) =
        engine ()
        let folder = IO.Path.Combine(BayesDL.Tests.Mcmc.ModelSamplingTests.posteriordb (), name)
        use posterior = Advi.Fit(ExampleModels.FromPosteriorDb folder, AdviOptions(Seed = 1L))
        out.WriteLine(sprintf "%s: %.1f s, ELBO %.3f; %s" name posterior.Elapsed.TotalSeconds posterior.Elbo posterior.Start.Note)
        let failures =
            [ for r in PosteriorDbFolder.ReadReference folder do
                let s = posterior[r.Name]
                out.WriteLine(sprintf "%-10s ADVI %10.4f (sd %.4f)  reference %10.4f (sd %.4f)  off by %.3f sd"
                                  r.Name s.Mean s.StdDev r.Mean r.StdDev (abs (s.Mean - r.Mean) / r.StdDev))
                if abs (s.Mean - r.Mean) > 0.1 * r.StdDev then yield sprintf "%s: mean %g vs %g (sd %g)" r.Name s.Mean r.Mean r.StdDev ]
        Assert.True(List.isEmpty failures, String.concat "\n" failures)

    [<BayesDL.Tests.Mcmc.ModelSamplingTests.PosteriorDbFact>]
    member _.``full-rank ADVI means are within 0.1 sd of the reference on sblrc-blr`` () = check "sblrc-blr"

    [<BayesDL.Tests.Mcmc.ModelSamplingTests.PosteriorDbFact>]
    member _.``full-rank ADVI means are within 0.1 sd of the reference on kidiq`` () = check "kidiq-kidscore_momiq"

    [<BayesDL.Tests.Mcmc.ModelSamplingTests.PosteriorDbFact>]
    member _.``full-rank ADVI means are within 0.1 sd of the reference on earnings`` () = check "earnings-logearn_height"
