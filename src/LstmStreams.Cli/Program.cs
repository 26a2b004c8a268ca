using System.CommandLine;
using LstmStreams.Cli.Commands;

namespace LstmStreams.Cli;

/// <summary>The <c>lstm-streams</c> command: inspect a model, run it over streams, benchmark it.</summary>
public static class Program
{
    /// <summary>Entry point; returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("lstm-streams: stateful streaming inference for PyTorch-trained LSTM/GRU models over many interleaved sequences.");
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(NodeCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        var parse = root.Parse(args);
        if (parse.Errors.Count == 0) return parse.Invoke();
        // A usage error: the errors and the help go to stderr, never into the predictions on stdout.
        parse.Invoke(new InvocationConfiguration { Output = Console.Error, Error = Console.Error });
        return ExitCodes.Usage;
    }
}
