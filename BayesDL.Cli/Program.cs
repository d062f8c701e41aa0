return BayesDL.Cli.BayesDLApp.Run(args);
