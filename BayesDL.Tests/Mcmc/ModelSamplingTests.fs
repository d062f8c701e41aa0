/// NUTS on models of the model API, held to posteriordb's reference posteriors (../shared/posteriordb, or
/// BAYESDL_POSTERIORDB_DIR) with its judgement rule: for every reference parameter, |mean - reference mean| <=
/// 4 sqrt(MCSE^2 + reference MCSE^2) and sd within 10% of the reference sd; R-hat <= 1.01; no divergences after warm-up.
module BayesDL.Tests.Mcmc.ModelSamplingTests

open System
open System.IO
open System.Text.Json
open Xunit
open Xunit.Abstractions
open TorchSharp
open BayesDL.Mcmc
open BayesDL.Modeling
open BayesDL.Transforms
open BayesDL.Dsl.ProbModel
open BayesDL.Tests.TestSupport

/// The posteriordb folder: BAYESDL_POSTERIORDB_DIR, else the first shared/posteriordb above the repository. A function,
/// so that a clone without the folder fails only the opt-in tests that read it, not the module.
let posteriordb () =
    match Environment.GetEnvironmentVariable "BAYESDL_POSTERIORDB_DIR" with
    | p when not (String.IsNullOrEmpty p) -> p
    | _ ->
        let rec up (d: DirectoryInfo) =
            if isNull d then failwith "no shared/posteriordb above the repository: set BAYESDL_POSTERIORDB_DIR to a posteriordb folder"
            elif Directory.Exists(Path.Combine(d.FullName, "shared", "posteriordb")) then Path.Combine(d.FullName, "shared", "posteriordb")
            else up d.Parent
        up (DirectoryInfo repoRoot)

type Reference = { Name: string; Mean: float; Sd: float; Mcse: float }

let reference (posterior: string) =
    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(posteriordb (), posterior, "reference.json")))
    [ for p in doc.RootElement.GetProperty("parameters").EnumerateArray() ->
        { Name = p.GetProperty("name").GetString(); Mean = p.GetProperty("mean").GetDouble()
          Sd = p.GetProperty("sd").GetDouble(); Mcse = p.GetProperty("mcse_mean").GetDouble() } ]

/// A data entry: a number array (or a matrix, as rows) as a float64 tensor.
let data (posterior: string) (key: string) =
    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(posteriordb (), posterior, "data.json")))
    let e = doc.RootElement.GetProperty key
    let rows = [ for r in e.EnumerateArray() -> r ]
    if rows.Length > 0 && rows[0].ValueKind = JsonValueKind.Array then
        let m = rows |> List.map (fun r -> [| for v in r.EnumerateArray() -> v.GetDouble() |]) |> Array.ofList
        torch.tensor(Array.concat m, dtype = torch.ScalarType.Float64).reshape(int64 m.Length, int64 m[0].Length)
    else torch.tensor([| for v in rows -> v.GetDouble() |], dtype = torch.ScalarType.Float64)

let private build = function Ok (m: Model) -> m | Error (e: BayesDL.Dsl.BayesError) -> failwith e.Message

/// The eight schools (Rubin 1981; posteriordb's eight_schools data): effects y_j with known standard errors sigma_j. Written
/// here, not read from posteriordb, so the tests that only need the model run in a clone without that folder.
let eightSchoolsNoncentered () =
    let y = torch.tensor([| 28.0; 8.0; -3.0; 7.0; -1.0; 1.0; 18.0; 12.0 |], dtype = torch.ScalarType.Float64)
    let sigma = torch.tensor([| 15.0; 10.0; 16.0; 11.0; 9.0; 11.0; 10.0; 18.0 |], dtype = torch.ScalarType.Float64)
    probModel "eight schools, non-centred" {
        let! thetaTrans = sampleShaped "theta_trans" [ 8L ] (Normal(0.0, 1.0))
        let! mu = sample "mu" (Normal(0.0, 5.0))
        let! tau = sample "tau" (HalfCauchy 5.0)
        let! theta = deterministic "theta" (thetaTrans * tau + mu)
        do! observe "y" (Normal(theta, sigma)) y
    } |> build

let blr () =
    let p = "sblrc-blr"
    let x, y = data p "X", data p "y"
    probModel "sblrc-blr" {
        let! beta = sampleShaped "beta" [ 5L ] (Normal(0.0, 10.0))
        let! sigma = sampleConstrained "sigma" [] Constraint.Positive (Normal(0.0, 10.0))
        do! observe "y" (Normal(beta.matmul(x.T), sigma)) y
    } |> build

let kidiq () =
    let p = "kidiq-kidscore_momiq"
    let score, iq = data p "kid_score", data p "mom_iq"
    probModel "kidiq" {
        let! beta = flat "beta" [ 2L ] Constraint.Real
        let! sigma = sample "sigma" (HalfCauchy 2.5)
        do! observe "kid_score" (Normal(beta.narrow(1, 0L, 1L) + beta.narrow(1, 1L, 1L) * iq, sigma)) score
    } |> build

/// The judgement of posteriordb's README, one line per failing parameter (empty when all pass).
let judge (posterior: ModelPosterior) (refs: Reference list) =
    [ for r in refs do
        let s = posterior[r.Name]
        let bound = 4.0 * sqrt (s.Mcse ** 2.0 + r.Mcse ** 2.0)
        if abs (s.Mean - r.Mean) > bound then yield sprintf "%s: mean %g vs reference %g (allowed %g)" r.Name s.Mean r.Mean bound
        if abs (s.StdDev - r.Sd) > 0.1 * r.Sd then yield sprintf "%s: sd %g vs reference %g (more than 10%% off)" r.Name s.StdDev r.Sd
        if s.RHat > 1.01 then yield sprintf "%s: R-hat %.4f" r.Name s.RHat ]

let private report (out: ITestOutputHelper) (name: string) (posterior: ModelPosterior) =
    let run = posterior.Run
    out.WriteLine(sprintf "%s: %.1f s, %d gradients (%.0f us each), divergences %d, max R-hat %.4f, min bulk ESS %.0f, %.0f ESS/s"
                      name run.Elapsed.TotalSeconds run.GradientEvaluations (1e6 * run.Elapsed.TotalSeconds / float run.GradientEvaluations)
                      posterior.Divergences posterior.MaxRHat (posterior.Summary |> Seq.map (fun s -> s.BulkEss) |> Seq.min)
                      ((posterior.Summary |> Seq.map (fun s -> s.BulkEss) |> Seq.min) / run.Elapsed.TotalSeconds))
    for s in posterior.Summary do out.WriteLine(string s)

/// Stan's defaults, 4 chains x (1,000 warm-up + 1,000 draws), at the target acceptance of the posterior's reference run.
let private stanSettings posteriorName seed =
    HmcOptions(Samples = 1000, Warmup = 1000, Chains = 4, Seed = seed,
               TargetAcceptance = BayesDL.Examples.ExampleModels.ReferenceTargetAcceptance posteriorName)

let private check (out: ITestOutputHelper) posteriorName (model: Model) seed =
    engine ()
    use posterior = ModelSampling.Nuts(model, stanSettings posteriorName seed)
    report out posteriorName posterior
    let failures = judge posterior (reference posteriorName)
    Assert.True(List.isEmpty failures, String.concat "\n" failures)
    Assert.Equal(0, posterior.Divergences)

/// The full posteriordb runs take minutes each (Stan's 4 x 2,000 iterations): opt-in with BAYESDL_POSTERIORDB=1, skipped
/// (and shown as skipped) otherwise.
type PosteriorDbFactAttribute() as this =
    inherit FactAttribute()
    do if Environment.GetEnvironmentVariable "BAYESDL_POSTERIORDB" <> "1" then
        this.Skip <- "posteriordb runs take minutes: set BAYESDL_POSTERIORDB=1 to run them"

type PosteriorDbTests(out: ITestOutputHelper) =
    [<PosteriorDbFact>]
    member _.``NUTS on the non-centred eight schools passes posteriordb's judgement, without divergences`` () =
        check out "eight_schools-eight_schools_noncentered" (eightSchoolsNoncentered ()) 11L

    [<PosteriorDbFact>]
    member _.``NUTS on the Bayesian linear regression sblrc-blr passes posteriordb's judgement`` () =
        check out "sblrc-blr" (blr ()) 12L

    [<PosteriorDbFact>]
    member _.``NUTS on kidiq (flat coefficients, half-Cauchy scale) passes posteriordb's judgement`` () =
        check out "kidiq-kidscore_momiq" (kidiq ()) 13L

[<Fact>]
let ``the named summary reads the constrained draws: tau is positive and theta is mu + tau theta_trans draw by draw`` () =
    engine ()
    use posterior = ModelSampling.Nuts(eightSchoolsNoncentered (), HmcOptions(Samples = 40, Warmup = 40, Chains = 2, Seed = 1L))
    Assert.Equal<int64[]>([| 2L; 40L; 8L |], posterior.Draws["theta"].shape)
    Assert.True(torch.all(posterior.Draws["tau"].gt(torch.tensor 0.0)).item<bool>())
    let expected = posterior.Draws["theta_trans"] * posterior.Draws["tau"].unsqueeze(-1) + posterior.Draws["mu"].unsqueeze(-1)
    Assert.True(torch.allclose(expected, posterior.Draws["theta"], rtol = 1e-12, atol = 1e-12))
    Assert.Equal<string list>([ for j in 1..8 -> sprintf "theta_trans[%d]" j ] @ [ "mu"; "tau" ]
                              @ [ for j in 1..8 -> sprintf "theta[%d]" j ],
                              [ for s in posterior.Summary -> s.Name ])
    let tau = posterior["tau"]
    Assert.True(tau.Q5 > 0.0 && tau.Q5 <= tau.Q50 && tau.Q50 <= tau.Q95)

[<Fact>]
let ``a start outside the support and a density that is not finite at the start are errors naming the parameter`` () =
    engine ()
    let outside = Assert.Throws<ArgumentException>(fun () ->
        ModelSampling.Nuts(eightSchoolsNoncentered (), HmcOptions(Samples = 10, Warmup = 10, Chains = 2),
                           Collections.Generic.Dictionary(dict [ "tau", torch.tensor -1.0 ])) |> ignore)
    Assert.Contains("initial value of 'tau'", outside.Message)
    // Finite parameters, an infinite log likelihood: the error names the observation.
    let steep =
        probModel "steep" {
            let! x = flat "x" [] Constraint.Real
            do! observe "y" (Normal(x * 1e200, 1.0)) (torch.tensor [| 0.0 |])
        } |> build
    let infinite =
        Assert.Throws<ArgumentException>(fun () -> ModelSampling.Nuts(steep, HmcOptions(Samples = 10, Warmup = 10, Chains = 2)) |> ignore)
    Assert.Contains("first in the term of 'y'", infinite.Message)
    // A distribution that rejects its parameters while the body builds it: the model and the last site completed.
    let overflow =
        probModel "overflow" {
            let! x = sample "x" (Normal(0.0, 1.0))
            do! observe "y" (Normal(x * 1e300 * 1e300, 1.0)) (torch.tensor [| 0.0 |])
        } |> build
    let rejected =
        Assert.Throws<ArgumentException>(fun () ->
            ModelSampling.Nuts(overflow, HmcOptions(Samples = 10, Warmup = 10, Chains = 2)) |> ignore)
    Assert.Contains("Model 'overflow', after 'x'", rejected.Message)
    Assert.Contains("'loc'", rejected.Message)
    // The start-up check validates; sampling (which skips the checks) leaves validation on for the caller afterwards.
    Assert.Throws<ArgumentException>(fun () -> BayesDL.Distributions.Dist.Normal(0.0, -1.0) |> ignore) |> ignore

/// The centred eight schools: theta ~ N(mu, tau^2) directly, the funnel whose neck (small tau) NUTS cannot follow.
let eightSchoolsCentered () =
    let y = torch.tensor([| 28.0; 8.0; -3.0; 7.0; -1.0; 1.0; 18.0; 12.0 |], dtype = torch.ScalarType.Float64)
    let sigma = torch.tensor([| 15.0; 10.0; 16.0; 11.0; 9.0; 11.0; 10.0; 18.0 |], dtype = torch.ScalarType.Float64)
    probModel "eight schools, centred" {
        let! mu = sample "mu" (Normal(0.0, 5.0))
        let! tau = sample "tau" (HalfCauchy 5.0)
        let! theta = sampleShaped "theta" [ 8L ] (Normal(mu, tau))
        do! observe "y" (Normal(theta, sigma)) y
    } |> build

[<Fact>]
let ``divergences are reported where they happened: in the centred eight schools, at the funnel's small tau`` () =
    engineOneThread ()
    // Tree depth 6 keeps the run short (the funnel asks for deep trees); fixed seed. 1,000 draws per chain: divergences come in
    // clumps, so with 300 seeds 1-8 gave 0-34 divergences (0 at seed 2, 2 at seed 5: too few for the test's power; measured
    // 2026-12-06, when the samplers' gradient changed in its last bits and with it the draws); with 1,000, 8-87 divergences
    // and a gap of 5.1-15.7 standard errors.
    use posterior =
        ModelSampling.Nuts(eightSchoolsCentered (), HmcOptions(Samples = 1000, Warmup = 300, Chains = 2, MaxTreeDepth = 6, Seed = 5L))
    let struct (atDivergences, draws) = posterior.WhereDiverged "tau"
    Assert.Equal(posterior.Divergences, atDivergences.Length)
    Assert.Equal(posterior.Divergences, posterior.Run.DivergentTransitions |> Seq.sumBy (Array.filter id >> Array.length))
    Assert.Equal(2 * 1000, draws.Length)
    Assert.True(atDivergences.Length >= 3, sprintf "%d divergences: the centred funnel should produce some" atDivergences.Length)
    // Points taken at random from the posterior would have the draws' mean log tau within a few standard errors; the
    // funnel's divergences start in its neck, more than 3 standard errors of such a random subset's mean below it.
    let logDraws = draws |> Array.map log
    let mean = Array.average logDraws
    let sd = sqrt ((logDraws |> Array.sumBy (fun v -> (v - mean) ** 2.0)) / float (logDraws.Length - 1))
    let gap = mean - (atDivergences |> Array.averageBy log)
    Assert.True(gap > 3.0 * sd / sqrt (float atDivergences.Length),
                sprintf "divergences' mean log tau %.3f vs the draws' %.3f (sd %.3f, %d divergences)"
                    (atDivergences |> Array.averageBy log) mean sd atDivergences.Length)
    // An element name reads one coordinate of a vector parameter.
    let struct (theta1, _) = posterior.WhereDiverged "theta[1]"
    Assert.Equal(atDivergences.Length, theta1.Length)
