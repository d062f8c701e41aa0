/// The `model { ... }` (alias `bayes { ... }`) computation expression: a model's network, likelihood,
/// prior and variational family as one declaration; `Model.build` validates it through the core builder
/// (shape walk, likelihood fit) and creates the modules, or returns the mistake as a BayesError.
[<AutoOpen>]
module BayesDL.Dsl.Model

open BayesDL.Builders
open BayesDL.Engine
open TorchSharp

/// What a `model { ... }` block declares.
type ModelDecl =
    { Network: Layer option
      Likelihood: LikelihoodSpec option
      Prior: Prior
      Family: VariationalFamily }

    /// Nothing declared yet: the prior defaults to N(0, 1) and the family to mean field.
    static member Empty = { Network = None; Likelihood = None; Prior = Normal(0., 1.); Family = VariationalFamily.MeanField }

/// A built model: the core's network and shapes, and the declaration it came from.
type BuiltNetwork =
    { Core: BuiltModel
      InputShape: int64 list
      OutputShape: int64 list
      Declaration: ModelDecl }

    /// f(x) for a batch x of shape [batch, ..InputShape].
    member this.Forward(x: torch.Tensor) = this.Core.Forward x

/// Builder of `model { network ...; likelihood ...; prior ...; variational ... }`.
type ModelBuilderCE() =
    member _.Yield(()) = ModelDecl.Empty
    member _.Zero() = ModelDecl.Empty
    /// The layers, composed with `>>`.
    [<CustomOperation "network">]
    member _.Network(d: ModelDecl, layers: Layer) = { d with Network = Some layers }
    /// The layers, as a list.
    [<CustomOperation "layers">]
    member _.Layers(d: ModelDecl, layers: Layer list) = { d with Network = Some(chain layers) }
    /// The likelihood p(y | f(x)).
    [<CustomOperation "likelihood">]
    member _.Likelihood(d: ModelDecl, likelihood: LikelihoodSpec) = { d with Likelihood = Some likelihood }
    /// The prior over the weights of the Bayesian layers.
    [<CustomOperation "prior">]
    member _.Prior(d: ModelDecl, prior: Prior) = { d with Prior = prior }
    /// The variational family q.
    [<CustomOperation "variational">]
    member _.Variational(d: ModelDecl, family: VariationalFamily) = { d with Family = family }

/// `model { ... }` declares a model.
let model = ModelBuilderCE()
/// Alias of `model`.
let bayes = model

/// Validation and construction, all through the core's SequentialBuilder.
module Model =
    /// The core declaration this model maps to (the same object a C# user builds fluently).
    let toBuilder (d: ModelDecl) : SequentialBuilder =
        let layers = defaultArg d.Network id
        let b = (layers (ModelBuilder.Sequential())).WithVariational d.Family
        match d.Likelihood with
        | Some l -> b.WithLikelihood l
        | None -> b

    /// Every mistake in the declaration, as one BayesError.
    let validate (d: ModelDecl) : Result<unit, BayesError> =
        match d.Network with
        | None -> Error(Incomplete "The model declares no network; add `network (linear 784 400 >> relu >> linear 400 10)`.")
        | Some _ -> (toBuilder d).Validate() |> BayesError.ofReport

    /// Validates, then creates the network under `policy`.
    let buildOn (policy: ComputePolicy) (d: ModelDecl) : Result<BuiltNetwork, BayesError> =
        validate d
        |> Result.map (fun () ->
            let core = (toBuilder d).Build policy
            { Core = core; InputShape = List.ofArray core.InputShape; OutputShape = List.ofArray core.OutputShape; Declaration = d })

    /// Validates, then creates the network under the default policy.
    let build (d: ModelDecl) = buildOn (ComputePolicy.Default) d
