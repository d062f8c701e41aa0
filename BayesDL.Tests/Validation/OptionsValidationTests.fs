/// Every options record of the core validates through Check: a bad setting is an ArgumentException whose message names
/// the type, the parameter, the value, what was expected, and a fix (a sentence after the value). A guard finds every
/// options type by reflection, so a new one without such cases fails here.
module BayesDL.Tests.Validation.OptionsValidationTests

open System
open System.Text.RegularExpressions
open Xunit
open BayesDL.Builders
open BayesDL.Calibration
open BayesDL.Inference
open BayesDL.Layers
open BayesDL.Mcmc
open BayesDL.Models
open BayesDL.Objectives
open BayesDL.Posthoc
open BayesDL.Swag
open BayesDL.Training
open BayesDL.Variational
open BayesDL.Tests.TestSupport

/// One bad setting: the options type it belongs to, the component the message must start with, the parameter, the value
/// as the message writes it, and the call that validates it.
type private Case = { Type: Type; Component: string; Parameter: string; Found: string; Validate: unit -> unit }

let private case<'T> (parameter: string) (found: string) (validate: unit -> unit) =
    { Type = typeof<'T>; Component = typeof<'T>.Name; Parameter = parameter; Found = found; Validate = validate }

let private within (owner: string) (c: Case) = { c with Component = owner }

let private cases () : Case list =
    [ case<VariationalFitOptions> "Epochs" "0" (fun () -> VariationalFitOptions(Epochs = 0).Validate())
      case<VariationalFitOptions> "BatchSize" "-1" (fun () -> VariationalFitOptions(BatchSize = -1).Validate())
      case<VariationalFitOptions> "LearningRate" "NaN" (fun () -> VariationalFitOptions(LearningRate = nan).Validate())
      case<VariationalFitOptions> "WeightSamples" "0" (fun () -> VariationalFitOptions(WeightSamples = 0).Validate())
      case<VariationalFitOptions> "KLWarmupEpochs" "-2" (fun () -> VariationalFitOptions(KLWarmupEpochs = -2).Validate())
      case<CheckpointOptions> "Checkpoint.Path" "\" \"" (fun () -> VariationalFitOptions(Checkpoint = CheckpointOptions(" ")).Validate())
      |> within "VariationalFitOptions"
      case<CheckpointOptions> "Checkpoint.EveryEpochs" "0"
          (fun () -> MCDropoutFitOptions(Checkpoint = CheckpointOptions("a.ckpt", 0)).Validate())
      |> within "MCDropoutFitOptions"
      case<EnsembleFitOptions> "Members" "0" (fun () -> EnsembleFitOptions(Members = 0).Validate())
      case<EnsembleFitOptions> "Epochs" "0" (fun () -> EnsembleFitOptions(Epochs = 0).Validate())
      case<EnsembleFitOptions> "BatchSize" "0" (fun () -> EnsembleFitOptions(BatchSize = 0).Validate())
      case<EnsembleFitOptions> "LearningRate" "-0.1" (fun () -> EnsembleFitOptions(LearningRate = -0.1).Validate())
      case<EnsembleFitOptions> "AdversarialEpsilon" "-0.01" (fun () -> EnsembleFitOptions(AdversarialEpsilon = -0.01).Validate())
      case<MCDropoutFitOptions> "Epochs" "0" (fun () -> MCDropoutFitOptions(Epochs = 0).Validate())
      case<MCDropoutFitOptions> "BatchSize" "0" (fun () -> MCDropoutFitOptions(BatchSize = 0).Validate())
      case<MCDropoutFitOptions> "LearningRate" "0" (fun () -> MCDropoutFitOptions(LearningRate = 0.0).Validate())
      case<MCDropoutFitOptions> "LengthScale" "-1.5" (fun () -> MCDropoutFitOptions(LengthScale = -1.5).Validate())
      case<MCDropoutFitOptions> "Alpha" "0" (fun () -> MCDropoutFitOptions(Alpha = 0.0).Validate())
      case<MCDropoutFitOptions> "TrainingMasks" "0" (fun () -> MCDropoutFitOptions(TrainingMasks = 0).Validate())
      case<MCDropoutGridSearchOptions> "DropoutRates" "an empty grid"
          (fun () -> MCDropoutGridSearchOptions(MCDropoutFitOptions(), DropoutRates = [||]).Validate())
      case<MCDropoutGridSearchOptions> "DropoutRates[1]" "1"
          (fun () -> MCDropoutGridSearchOptions(MCDropoutFitOptions(), DropoutRates = [| 0.1; 1.0 |]).Validate())
      case<MCDropoutGridSearchOptions> "ValidationFraction" "0"
          (fun () -> MCDropoutGridSearchOptions(MCDropoutFitOptions(), ValidationFraction = 0.0).Validate())
      case<MCDropoutGridSearchOptions> "Samples" "0" (fun () -> MCDropoutGridSearchOptions(MCDropoutFitOptions(), Samples = 0).Validate())
      case<MCDropoutFitOptions> "Epochs" "0" (fun () -> MCDropoutGridSearchOptions(MCDropoutFitOptions(Epochs = 0)).Validate())
      case<CheckpointOptions> "Checkpoint.EveryEpochs" "0"
          (fun () -> EnsembleFitOptions(Checkpoint = CheckpointOptions("a.ckpt", 0)).Validate())
      |> within "EnsembleFitOptions"
      case<TrainerOptions> "Epochs" "0" (fun () -> TrainerOptions(Epochs = 0).Validate())
      case<TrainerOptions> "BatchSize" "0" (fun () -> TrainerOptions(BatchSize = 0).Validate())
      case<TrainerOptions> "Optimizer" "99" (fun () -> TrainerOptions(Optimizer = enum<OptimizerKind> 99).Validate())
      case<TrainerOptions> "LearningRate" "-1" (fun () -> Trainer(TrainerOptions(LearningRate = -1.0)) |> ignore)
      case<MonteCarloPredictionOptions> "MemoryBudgetMB" "0" (fun () -> MonteCarloPredictionOptions(MemoryBudgetMB = 0.0).Validate())
      case<MonteCarloPredictionOptions> "MaxRowsPerPass" "0" (fun () -> MonteCarloPredictionOptions(MaxRowsPerPass = 0L).Validate())
      case<LinearRegressionVI.Options> "MaxIterations" "0" (fun () -> LinearRegressionVI.Options(MaxIterations = 0).Validate())
      |> within "LinearRegressionVI.Options"
      case<LinearRegressionVI.Options> "Tolerance" "-1" (fun () -> LinearRegressionVI.Options(Tolerance = -1.0).Validate())
      |> within "LinearRegressionVI.Options"
      case<HmcOptions> "Samples" "0" (fun () -> HmcOptions(Samples = 0).Validate())
      case<HmcOptions> "Warmup" "-1" (fun () -> HmcOptions(Warmup = -1).Validate())
      case<HmcOptions> "Chains" "0" (fun () -> HmcOptions(Chains = 0).Validate())
      case<HmcOptions> "StepSize" "0" (fun () -> HmcOptions(StepSize = 0.0).Validate())
      case<HmcOptions> "LeapfrogSteps" "0" (fun () -> HmcOptions(LeapfrogSteps = 0).Validate())
      case<HmcOptions> "TargetAcceptance" "1.5" (fun () -> HmcOptions(TargetAcceptance = 1.5).Validate())
      case<HmcOptions> "StepSizeJitter" "1" (fun () -> HmcOptions(StepSizeJitter = 1.0).Validate())
      case<HmcOptions> "InitRadius" "-2" (fun () -> HmcOptions(InitRadius = -2.0).Validate())
      case<HmcOptions> "MaxEnergyError" "0" (fun () -> HmcOptions(MaxEnergyError = 0.0).Validate())
      case<HmcOptions> "MaxTreeDepth" "31" (fun () -> HmcOptions(MaxTreeDepth = 31).Validate())
      case<VaeElboOptions> "Beta" "-1" (fun () -> VaeElboOptions(Beta = -1.0).Validate())
      case<VaeElboOptions> "WarmupSteps" "-5" (fun () -> VaeElboOptions(WarmupSteps = -5L).Validate())
      case<VaeElboOptions> "FreeBitsPerDimension" "NaN" (fun () -> VaeElboOptions(FreeBitsPerDimension = nan).Validate())
      case<VaeElboOptions> "MonteCarloKLSamples" "1" (fun () -> VaeElboOptions(MonteCarloKLSamples = 1).Validate())
      case<ElboOptions> "WeightSamples" "0" (fun () -> ElboOptions(WeightSamples = 0).Validate())
      case<ConcreteDropoutOptions> "WeightRegularizer" "-1" (fun () -> ConcreteDropoutOptions(WeightRegularizer = -1.0).Validate())
      case<ConcreteDropoutOptions> "DropoutRegularizer" "NaN" (fun () -> ConcreteDropoutOptions(DropoutRegularizer = nan).Validate())
      case<ConcreteDropoutOptions> "Temperature" "0" (fun () -> ConcreteDropoutOptions(Temperature = 0.0).Validate())
      case<ConcreteDropoutOptions> "InitialP" "1" (fun () -> ConcreteDropoutOptions(InitialP = 1.0).Validate())
      case<ConcreteDropoutOptions> "trainingExamples" "0" (fun () -> ConcreteDropoutOptions.ForDataset(0L) |> ignore)
      case<BayesLayerOptions> "InitialRho" "30" (fun () -> BayesNN.BayesLinear(2L, 3L, BayesLayerOptions(InitialRho = 30.0)) |> ignore)
      |> within "BayesLayerOptions of BayesLinear"
      case<BayesLayerOptions> "KLSamples" "1" (fun () -> BayesNN.BayesLinear(2L, 3L, BayesLayerOptions(KLSamples = 1)) |> ignore)
      |> within "BayesLayerOptions of BayesLinear"
      case<MultivariateBayesOptions> "Rank" "-1"
          (fun () -> BayesNN.MultivariateBayesLinear(2L, 3L, MultivariateBayesOptions(Rank = -1)) |> ignore)
      |> within "MultivariateBayesOptions of MultivariateBayesLinear"
      case<MultivariateBayesOptions> "InitialFactorStd" "-1" (fun () ->
          BayesNN.MultivariateBayesLinear(2L, 3L, MultivariateBayesOptions(Rank = 2, InitialFactorStd = -1.0)) |> ignore)
      |> within "MultivariateBayesOptions of MultivariateBayesLinear"
      case<LaplaceOptions> "PriorPrecision" "0" (fun () -> LaplaceOptions(PriorPrecision = 0.0).Validate())
      case<LaplaceOptions> "Rank" "0" (fun () -> LaplaceOptions(Rank = 0).Validate())
      case<LaplaceOptions> "Samples" "-1" (fun () -> LaplaceOptions(Samples = -1).Validate())
      case<LaplaceOptions> "MemoryBudgetBytes" "0" (fun () -> LaplaceOptions(MemoryBudgetBytes = Nullable 0L).Validate())
      case<LaplaceOptions> "Hessian" "7" (fun () -> LaplaceOptions(Hessian = enum<HessianStructure> 7).Validate())
      case<LaplaceOptions> "PriorScope" "PerLayer with the LowRank Hessian" (fun () ->
          LaplaceOptions(Hessian = HessianStructure.LowRank, PriorScope = PriorPrecisionScope.PerLayer).Validate())
      case<SwagOptions> "Rank" "1" (fun () -> SwagOptions(Rank = 1).Validate())
      case<SwagOptions> "Epochs" "0" (fun () -> SwagOptions(Epochs = 0).Validate())
      case<SwagOptions> "LearningRate" "-0.01" (fun () -> SwagOptions(LearningRate = -0.01).Validate())
      case<SgmcmcOptions> "StepSize" "0" (fun () -> SgmcmcOptions(StepSize = 0.0).Validate())
      case<SgmcmcOptions> "Temperature" "0" (fun () -> SgmcmcOptions(Temperature = 0.0).Validate())
      case<SgmcmcOptions> "Friction" "1.5" (fun () -> SgmcmcOptions(Friction = 1.5).Validate())
      case<SgmcmcOptions> "Thinning" "0" (fun () -> SgmcmcOptions(Thinning = 0).Validate())
      case<SgmcmcOptions> "StepDecay" "0.4" (fun () -> SgmcmcOptions(StepDecay = 0.4).Validate())
      case<SgmcmcOptions> "StepDecay" "0.55 with 4 cycles" (fun () -> SgmcmcOptions(StepDecay = 0.55, Cycles = 4).Validate())
      case<SgmcmcOptions> "StepDecayOffset" "0" (fun () -> SgmcmcOptions(StepDecay = 1.0, StepDecayOffset = 0.0).Validate())
      case<SbcOptions> "Replications" "0" (fun () -> SbcOptions(Replications = 0).Validate())
      case<SbcOptions> "Bins" "7 with Draws = 99" (fun () -> SbcOptions(Bins = 7).Validate())
      case<AdviOptions> "Rank" "0" (fun () -> AdviOptions(Rank = 0).Validate())
      case<AdviOptions> "GradientDraws" "0" (fun () -> AdviOptions(GradientDraws = 0).Validate())
      case<AdviOptions> "Draws" "3" (fun () -> AdviOptions(Draws = 3).Validate())
      case<AdviOptions> "NewtonSteps" "0" (fun () -> AdviOptions(NewtonSteps = 0).Validate())
      case<AdviOptions> "Initialization" "7" (fun () -> AdviOptions(Initialization = enum<AdviInitialization> 7).Validate()) ]

/// "<component>: parameter '<name>' must be <expected>; found <value>. <fix>", the fix a sentence of its own.
let private shape =
    Regex(@"^(?<component>.+?): parameter '(?<parameter>[^']+)' must be (?<expected>.+?); found (?<found>.+?)\. (?<fix>[A-Z].*\.)")

[<Fact>]
let ``every bad setting of every options type is an ArgumentException naming the type, parameter, value, expectation and a fix`` () =
    engine ()
    for c in cases () do
        let e = Assert.ThrowsAny<ArgumentException>(fun () -> c.Validate())
        let m = shape.Match e.Message
        Assert.True(m.Success, sprintf "%s.%s: the message does not read '<type>: parameter ... must be ...; found ... . <fix>': \
                                        %s" c.Type.Name c.Parameter e.Message)
        Assert.Equal(c.Component, m.Groups["component"].Value)
        Assert.Equal(c.Parameter, m.Groups["parameter"].Value)
        Assert.Equal(c.Found, m.Groups["found"].Value)
        Assert.Equal(c.Parameter, e.ParamName)

[<Fact>]
let ``every options type of the core has bad-setting cases here`` () =
    let options =
        typeof<VariationalFitOptions>.Assembly.GetExportedTypes()
        |> Array.filter (fun t -> t.Name.EndsWith "Options" && not t.IsAbstract)
        |> Array.map (fun t -> t.FullName)
        |> Set.ofArray
    let covered = cases () |> List.map (fun c -> c.Type.FullName) |> Set.ofList
    Assert.True(Set.isEmpty (options - covered), sprintf "options types without cases: %A" (options - covered))
    // The reflection must see the core's options types at all (an empty set would make the first assertion vacuous).
    for known in [ typeof<TrainerOptions>; typeof<HmcOptions>; typeof<EnsembleFitOptions>; typeof<ElboOptions> ] do
        Assert.Contains(known.FullName, options)

[<Fact>]
let ``fit settings checked with a declaration become InvalidParameter build errors carrying the same message`` () =
    let declaration = ModelBuilder.Sequential().BayesLinear(2L, 2L).WithLikelihood(Likelihoods.Categorical())
    let error = Assert.Single(declaration.ValidateFit(VariationalFitOptions(Epochs = 0)))
    Assert.Equal(BuildErrorKind.InvalidParameter, error.Kind)
    Assert.StartsWith("VariationalFitOptions: parameter 'Epochs' must be a positive integer; found 0. ", error.Message)
    let ensemble =
        Assert.Single(ModelBuilder.Sequential().Linear(2L, 2L).WithLikelihood(Likelihoods.Categorical())
                          .ValidateEnsemble(EnsembleFitOptions(Members = 0)))
    Assert.StartsWith("EnsembleFitOptions: parameter 'Members'", ensemble.Message)
