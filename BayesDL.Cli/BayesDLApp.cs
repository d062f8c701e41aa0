using BayesDL.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BayesDL.Cli;

/// <summary>
/// The <c>bayesdl</c> command line: its commands, runnable in-process (tests pass their own console). Parsing is strict (an
/// unknown or misspelt option is an error naming it and the nearest valid one) and every command exits with the codes of
/// <see cref="ExitCodes"/>: 0 success, 1 failure at run time, 2 usage error or bad input (see <see cref="ErrorReport"/>).
/// Results go to standard output and error messages to standard error, so a script can capture the one without the other.
/// </summary>
public static class BayesDLApp
{
    /// <summary>
    /// Runs <c>bayesdl args</c> and returns the exit code; results go to <paramref name="console"/> (default: standard output),
    /// usage and run-time error messages to <paramref name="errors"/> (default: standard error).
    /// </summary>
    public static int Run(string[] args, IAnsiConsole? console = null, IAnsiConsole? errors = null) =>
        Create(console, args, errors).Run(args);

    /// <summary>
    /// The configured application; <paramref name="args"/> (the command line it will run) lets errors name the option at fault. Results go
    /// to <paramref name="console"/> (default: standard output), error messages to <paramref name="errors"/> (default: standard error).
    /// </summary>
    public static CommandApp Create(IAnsiConsole? console = null, IReadOnlyList<string>? args = null, IAnsiConsole? errors = null)
    {
        var app = new CommandApp();
        var catalog = new OptionCatalog();
        app.Configure(config =>
        {
            config.SetApplicationName("bayesdl");
            if (console is not null) config.ConfigureConsole(console);
            config.UseStrictParsing();
            config.SetInterceptor(new StrictArguments(catalog, "script"));
            config.SetExceptionHandler((e, _) => ErrorReport.Handle(e, args ?? [], errors ?? StandardError(), catalog));
            catalog.Add<QuickstartCommand>("quickstart");
            config.AddCommand<QuickstartCommand>("quickstart")
                .WithDescription("Bayes' rule in action: variational inference for a Bayesian linear regression, next to the exact " +
                                 "posterior.");
            catalog.Add<ScriptCommand>("script");
            config.AddCommand<ScriptCommand>("script")
                .WithDescription("Runs a C# script (.csx) with BayesDL.Core and TorchSharp referenced, e.g. scripts/bayes-rule.csx.");
            catalog.Add<EvaluateCommand>("evaluate");
            config.AddCommand<EvaluateCommand>("evaluate")
                .WithDescription("Scores a saved model on labelled images (IDX or CSV): accuracy, NLL, Brier, ECE, entropy, mutual " +
                                 "information.")
                .WithExample("evaluate", "model.bnn", "--images", "data/mnist-subset-test-images-idx3-ubyte.gz",
                             "--labels", "data/mnist-subset-test-labels-idx1-ubyte.gz", "--samples", "100");
            catalog.Add<PredictCommand>("predict");
            config.AddCommand<PredictCommand>("predict")
                .WithDescription("Per-row predictions of a saved model with their uncertainty: probabilities or mean, predictive " +
                                 "entropy, aleatoric and epistemic parts (CSV or JSON).")
                .WithExample("predict", "mnist-vi.bnn", "--input", "data/mnist-subset-test-images-idx3-ubyte.gz", "--format", "csv",
                             "--samples", "100");
            catalog.Add<SampleCommand>("sample");
            config.AddCommand<SampleCommand>("sample")
                .WithDescription("New images from a VAE trained by `bayesdl train --method vae` (PNG grid or IDX), or a latent traversal.")
                .WithExample("sample", "vae.bnn", "--count", "64", "--output", "samples.png");
            catalog.Add<TrainCommand>("train");
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Trains a model (vi, mcdropout, ensemble, vae, laplace) on an IDX pair or a CSV table and saves it; " +
                                 "Ctrl+C keeps a resumable checkpoint.")
                .WithExample("train", "--method", "vi", "--network", "784-400-400-10",
                             "--images", "data/mnist-subset-train-images-idx3-ubyte.gz",
                             "--labels", "data/mnist-subset-train-labels-idx1-ubyte.gz", "--epochs", "3", "--output", "mnist-vi.bnn");
        });
        return app;
    }

    /// <summary>A console writing to the process's standard error, with the terminal's capabilities detected for it.</summary>
    static IAnsiConsole StandardError() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
}
