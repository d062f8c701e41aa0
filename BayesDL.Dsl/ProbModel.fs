/// Bayesian models with named, constrained parameters as a computation expression over the core's
/// BayesDL.Modeling.Model (the same object the C# delegate form builds):
///
///     probModel "eight schools" {
///         let! mu = sample "mu" (Normal(0.0, 5.0))
///         let! tau = sample "tau" (HalfCauchy 5.0)
///         let! z = sampleShaped "theta_trans" [ 8L ] (Normal(0.0, 1.0))
///         let! theta = deterministic "theta" (mu + tau * z)
///         do! observe "y" (Normal(theta, sigma)) y }
///
/// Parameter values carry the chain dimension first ([chains, 1] for a scalar, [chains] ++ shape otherwise), so the body
/// is written once and evaluated for all chains together. Opening this module brings distribution constructors that take
/// floats or tensors (`Normal(theta, 1.0)`), shadowing the prior values of `Specs` inside model bodies.
module BayesDL.Dsl.ProbModel

open System
open TorchSharp
open BayesDL.Distributions
open BayesDL.Modeling
open BayesDL.Transforms

/// One step of a model body: what it does to the context, and the value it gives back.
type ModelStep<'T> = ModelContext -> 'T

/// Numbers and tensors as distribution parameters: a float becomes a float64 scalar tensor.
type ParameterValue =
    | ParameterValue

    static member ($)(ParameterValue, x: float) = torch.tensor (x, dtype = torch.ScalarType.Float64)
    static member ($)(ParameterValue, x: int) = torch.tensor (float x, dtype = torch.ScalarType.Float64)
    static member ($)(ParameterValue, x: torch.Tensor) = x

/// A float, int or tensor as a tensor.
let inline asTensor x : torch.Tensor = ParameterValue $ x

/// N(loc, scale^2), element-wise.
let inline Normal (loc, scale) = Dist.Normal(asTensor loc, asTensor scale) :> Distribution
/// |Cauchy(0, scale)|, on x >= 0.
let inline HalfCauchy scale = Dist.HalfCauchy(asTensor scale) :> Distribution
/// |N(0, scale^2)|, on x >= 0.
let inline HalfNormal scale = Dist.HalfNormal(asTensor scale) :> Distribution
/// Exponential with the given rate.
let inline Exponential rate = Dist.Exponential(asTensor rate) :> Distribution
/// Gamma(concentration, rate).
let inline Gamma (concentration, rate) = Dist.Gamma(asTensor concentration, asTensor rate) :> Distribution
/// Beta(alpha, beta) on (0, 1).
let inline Beta (alpha, beta) = Dist.Beta(asTensor alpha, asTensor beta) :> Distribution
/// Uniform on (low, high); as a prior, its bounds (which may be other parameters) become the parameter's constraint.
let inline Uniform (low, high) = Dist.Uniform(asTensor low, asTensor high) :> Distribution
/// Laplace(loc, scale).
let inline Laplace (loc, scale) = Dist.Laplace(asTensor loc, asTensor scale) :> Distribution
/// log X ~ N(loc, scale^2).
let inline LogNormal (loc, scale) = Dist.LogNormal(asTensor loc, asTensor scale) :> Distribution
/// Student's t with df degrees of freedom, location and scale.
let inline StudentT (df, loc, scale) = Dist.StudentT(asTensor df, asTensor loc, asTensor scale) :> Distribution
/// Dirichlet over the simplex of the concentration's last dimension.
let inline Dirichlet concentration = Dist.Dirichlet(asTensor concentration) :> Distribution

/// A scalar parameter with a prior (its constraint is the prior's support): [chains, 1].
let sample (name: string) (prior: Distribution) : ModelStep<torch.Tensor> = fun ctx -> ctx.Sample(name, prior)

/// A parameter of the given shape with a prior: [chains] ++ shape.
let sampleShaped (name: string) (shape: int64 list) (prior: Distribution) : ModelStep<torch.Tensor> =
    fun ctx -> ctx.Sample(name, prior, Array.ofList shape)

/// A parameter of the given shape and constraint with a prior (e.g. Normal(0, 10) on sigma > 0).
let sampleConstrained (name: string) (shape: int64 list) (support: Constraint) (prior: Distribution) : ModelStep<torch.Tensor> =
    fun ctx -> ctx.Sample(name, prior, Array.ofList shape, support)

/// A parameter of the given shape and constraint with a flat (improper uniform) prior.
let flat (name: string) (shape: int64 list) (support: Constraint) : ModelStep<torch.Tensor> =
    fun ctx -> ctx.Sample(name, support, Array.ofList shape)

/// Observed data under a likelihood, vectorised over the observations.
let observe (name: string) (likelihood: Distribution) (data: torch.Tensor) : ModelStep<unit> =
    fun ctx -> ctx.Observe(name, likelihood, data)

/// A named quantity computed from parameters, reported with them.
let deterministic (name: string) (value: torch.Tensor) : ModelStep<torch.Tensor> = fun ctx -> ctx.Deterministic(name, value)

/// The linear predictor a + beta X^T, [chains, N]: coefficients beta [chains, D] on a design X [N, D] (one row per
/// observation), with an optional intercept (a scalar parameter's [chains, 1] value). The samplers take its gradient in closed
/// form when beta and a are parameters' values (ModelContext.LinearPredictor).
let linearPredictor (coefficients: torch.Tensor) (design: torch.Tensor) (intercept: torch.Tensor option) : ModelStep<torch.Tensor> =
    fun ctx -> ctx.LinearPredictor(coefficients, design, Option.toObj intercept)

/// The data tensor under a key of the model's data.
let data (key: string) : ModelStep<torch.Tensor> = fun ctx -> ctx.Data key

/// The computation expression; `Run` builds the core model, reporting a mistake in the body as an error naming the site.
type ProbModelBuilder(name: string, dataTable: Map<string, torch.Tensor>) =
    member _.Bind(step: ModelStep<'a>, f: 'a -> ModelStep<'b>) : ModelStep<'b> = fun ctx -> f (step ctx) ctx
    member _.Return(value: 'a) : ModelStep<'a> = fun _ -> value
    member _.ReturnFrom(step: ModelStep<'a>) : ModelStep<'a> = step
    member _.Zero() : ModelStep<unit> = fun _ -> ()
    member _.Delay(f: unit -> ModelStep<'a>) : ModelStep<'a> = fun ctx -> f () ctx
    member _.Combine(first: ModelStep<unit>, second: ModelStep<'a>) : ModelStep<'a> = fun ctx -> first ctx; second ctx
    member _.For(items: seq<'a>, body: 'a -> ModelStep<unit>) : ModelStep<unit> = fun ctx -> for item in items do body item ctx

    member _.Run(body: ModelStep<'a>) : Result<Model, BayesDL.Dsl.BayesError> =
        let data = dataTable |> Map.toSeq |> dict |> Collections.Generic.Dictionary
        BayesDL.Dsl.BayesError.ofCoreIn (sprintf "model '%s'" name) (fun () ->
            Model.Create(name, Action<ModelContext>(fun ctx -> body ctx |> ignore), data))

/// `probModel "name" { ... }`: a model without a data table (the body closes over its data).
let probModel (name: string) = ProbModelBuilder(name, Map.empty)

/// `probModelWith "name" data { ... }`: a model whose body reads `data "key"` from the table.
let probModelWith (name: string) (dataTable: Map<string, torch.Tensor>) = ProbModelBuilder(name, dataTable)
