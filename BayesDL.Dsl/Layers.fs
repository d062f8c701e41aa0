/// Layers as values that compose with `>>` (or in a list): each appends itself to the core's
/// SequentialBuilder, so the F# and C# faces declare, validate and build exactly the same models.
[<AutoOpen>]
module BayesDL.Dsl.Layers

open BayesDL.Builders

/// A block of layers: a transformation of a declaration.
type Layer = SequentialBuilder -> SequentialBuilder

/// Composes a list of blocks in order (the list form of `>>`).
let chain (layers: Layer list) : Layer = List.fold (>>) id layers

/// Fixes the per-example input shape, e.g. `input [ 1L; 28L; 28L ]` before a convolution.
let input (shape: int64 list) : Layer = fun b -> b.Input(Array.ofList shape)

/// A deterministic dense layer y = W x + b.
let linear (inFeatures: int64) (outFeatures: int64) : Layer = fun b -> b.Linear(inFeatures, outFeatures)

/// A Bayesian dense layer (mean-field Gaussian posterior, the model's prior, local reparameterization).
let bayesLinear (inFeatures: int64) (outFeatures: int64) : Layer = fun b -> b.BayesLinear(inFeatures, outFeatures)

/// A Bayesian 2-D convolution (square kernel, stride 1, no padding; Flipout).
let bayesConv2d (inChannels: int64) (outChannels: int64) (kernel: int64) : Layer = fun b -> b.BayesConv2d(inChannels, outChannels, kernel)

/// A deterministic 2-D convolution (square kernel, stride 1, no padding).
let conv2d (inChannels: int64) (outChannels: int64) (kernel: int64) : Layer = fun b -> b.Conv2d(inChannels, outChannels, kernel)

/// Flattens each example into a vector.
let flatten : Layer = fun b -> b.Flatten()

/// Dropout layers, qualified so that they do not clash with the variational family `dropout p` of `variational (...)`:
/// `linear 4L 8L >> Dropout.mc 0.5 >> linear 8L 1L`.
[<RequireQualifiedAccess>]
module Dropout =
    /// Standard dropout with rate p (off in evaluation mode).
    let standard (p: float) : Layer = fun b -> b.Dropout p

    /// MC dropout with rate p: stays on at test time, so repeated predictions sample the dropout posterior (Gal and
    /// Ghahramani 2016).
    let mc (p: float) : Layer = fun b -> b.MCDropout p

/// An element-wise activation.
let activation (kind: Activation) : Layer = fun b -> b.Activation kind

/// Element-wise activations as layers, qualified so that none shadows an F# function or a user's helper of the same
/// name (F#'s `tanh`): `linear 4L 8L >> Activation.tanh >> linear 8L 1L`. `activation Activation.Tanh` is the same
/// layer from the core's enum.
[<RequireQualifiedAccess>]
module Activation =
    /// max(0, x).
    let relu : Layer = activation BayesDL.Builders.Activation.Relu
    /// tanh(x).
    let tanh : Layer = activation BayesDL.Builders.Activation.Tanh
    /// 1 / (1 + exp(-x)).
    let sigmoid : Layer = activation BayesDL.Builders.Activation.Sigmoid
    /// log(1 + exp(x)).
    let softplus : Layer = activation BayesDL.Builders.Activation.Softplus
    /// x sigmoid(x) (SiLU, swish).
    let silu : Layer = fun b -> b.Add BayesDL.Networks.SiluKind.Layer
    /// exp(x_i) / sum_j exp(x_j): probabilities, so no likelihood that reads logits may follow.
    let softmax : Layer = activation BayesDL.Builders.Activation.Softmax
