using BayesDL.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BayesDL.Cli;

/// <summary>The <c>bayesdl</c> command line: its commands, runnable in-process (tests pass their own console).</summary>
public static class BayesDLApp
{
    /// <summary>Runs <c>bayesdl args</c> and returns the exit code; output goes to <paramref name="console"/> (default: the terminal).</summary>
    public static int Run(string[] args, IAnsiConsole? console = null) => Create(console).Run(args);

    /// <summary>The configured application.</summary>
    public static CommandApp Create(IAnsiConsole? console = null)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("bayesdl");
            if (console is not null) config.ConfigureConsole(console);
            config.AddCommand<QuickstartCommand>("quickstart")
                .WithDescription("Bayes' rule in action: variational inference for a Bayesian linear regression, next to the exact posterior.");
            config.AddCommand<ScriptCommand>("script")
                .WithDescription("Runs a C# script (.csx) with BayesDL.Core and TorchSharp referenced, e.g. scripts/bayes-rule.csx.");
            config.AddCommand<EvaluateCommand>("evaluate")
                .WithDescription("Scores a saved model on labelled images (IDX or CSV): accuracy, NLL, Brier, ECE, entropy, mutual information.")
                .WithExample("evaluate", "model.bnn", "--images", "data/mnist-subset-test-images-idx3-ubyte.gz",
                             "--labels", "data/mnist-subset-test-labels-idx1-ubyte.gz", "--samples", "100");
        });
        return app;
    }
}
