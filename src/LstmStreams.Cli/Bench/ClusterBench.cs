using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LstmStreams.Core.Import;
using LstmStreams.Core.Model;
using LstmStreams.Settings;

namespace LstmStreams.Cli.Bench;

/// <summary>
/// <c>bench e2e --nodes N</c>: the workload as a JSONL file ingested by one <c>lstm-streams node</c> process of a cluster
/// of 1, 2, … N node processes on this machine, sharing the given PostgreSQL store (each size on its own persistence-id
/// prefix). The rate is the ingesting node's, from its first read to the last observation released (its state durable).
/// On one machine the nodes share its cores: this measures what sharding costs per node (routing, remote hops,
/// serialization), not how the cluster scales across machines.
/// </summary>
internal static partial class ClusterBench
{
    public static int Run(RecurrentModel model, Workload workload, StreamingSettings settings, int maxNodes, bool json, TextWriter progress)
    {
        if (settings.Persistence.Store.Kind != Persistence.StoreKind.Postgres)
            throw new ArgumentException("--nodes needs --store postgres:CONNECTION-STRING: a store every node shares.");
        string folder = Directory.CreateTempSubdirectory("lstm-streams-bench-nodes-").FullName;
        try
        {
            string modelPath = Path.Combine(folder, "model.safetensors");
            SafetensorsModelWriter.Save(model, modelPath);
            string input = Path.Combine(folder, "input.jsonl");
            RunPathBench.WriteInput(workload, input, "jsonl");
            var rates = new List<(int Nodes, double ObsPerSecond, double PerMessage)>();
            for (int nodes = 1; nodes <= maxNodes; nodes++)
            {
                var (rate, perMessage) = RunCluster(nodes, modelPath, input, settings, folder, progress);
                rates.Add((nodes, rate, perMessage));
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench e2e --nodes: {nodes} node(s): {rate:N0} obs/s"));
            }

            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["cell"] = model.Cell.ToName(), ["input"] = model.InputSize, ["hidden"] = model.HiddenSize, ["sequences"] = workload.Ids.Length,
                    ["observations"] = workload.Order.Length, ["cores"] = Environment.ProcessorCount,
                    ["nodes"] = rates.Select(r => new Dictionary<string, object> { ["nodes"] = r.Nodes, ["obs_per_s"] = Math.Round(r.ObsPerSecond), ["ratio_to_one"] = Math.Round(r.ObsPerSecond / rates[0].ObsPerSecond, 3), ["observations_per_routed_message"] = r.PerMessage }).ToList(),
                }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench e2e --nodes {maxNodes}: {model.Describe()}, {workload.Ids.Length:N0} sequences, {workload.Order.Length:N0} observations, store {settings.Persistence.Store}"));
                foreach (var (n, rate, perMessage) in rates)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {n} node(s)   {rate,12:N0} obs/s   {rate / rates[0].ObsPerSecond,5:F2}× one node   {perMessage,6:F1} observations a routed message"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  (all nodes on this machine's {Environment.ProcessorCount} cores: this is the cost of sharding per node, not scaling across machines)"));
            }

            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (double Rate, double PerMessage) RunCluster(int nodes, string model, string input, StreamingSettings settings, string folder, TextWriter progress)
    {
        string config = Path.Combine(folder, $"nodes-{nodes}.conf");
        File.WriteAllText(config, $"lstm-streams.persistence.persistence-id-prefix = \"bench-{nodes}-{Guid.NewGuid():N}:\"\n");
        string store = "postgres:" + settings.Persistence.Store.Target;
        int[] ports = Enumerable.Range(0, nodes).Select(_ => FreePort()).ToArray();
        string common = $"--model \"{model}\" --store \"{store}\" --config \"{config}\" --min-members {nodes} --seed 127.0.0.1:{ports[0]} --kernel {settings.Kernel.ToString().ToLowerInvariant()}";
        var hosts = new List<Process>();
        string stderr = "";
        try
        {
            for (int i = 1; i < nodes; i++) hosts.Add(Start($"{common} --port {ports[i]}", _ => { }));
            var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
            using var ingester = Start($"{common} --port {ports[0]} --input \"{input}\" --output \"{Path.Combine(folder, "out.jsonl")}\"", line => lines.Enqueue(line));
            if (!ingester.WaitForExit(TimeSpan.FromMinutes(30))) throw new TimeoutException($"the ingesting node of {nodes} did not finish in 30 minutes.");
            ingester.WaitForExit();
            stderr = string.Join('\n', lines);
            if (ingester.ExitCode != 0) throw new InvalidOperationException($"the ingesting node of {nodes} exited {ingester.ExitCode}:\n{stderr}");
            var done = DoneLine().Match(stderr);
            if (!done.Success) throw new InvalidOperationException($"the ingesting node printed no rate:\n{stderr}");
            return (double.Parse(done.Groups["rate"].Value, CultureInfo.InvariantCulture), double.Parse(done.Groups["per"].Value, CultureInfo.InvariantCulture));
        }
        finally
        {
            foreach (var host in hosts)
            {
                try
                {
                    host.Kill(entireProcessTree: false);
                    host.WaitForExit(30_000);
                }
                catch (InvalidOperationException)
                {
                }

                host.Dispose();
            }
        }
    }

    private static Process Start(string arguments, Action<string> onLine)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!, $"\"{typeof(ClusterBench).Assembly.Location}\" node {arguments}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) onLine(e.Data);
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [GeneratedRegex(@"done: .*\((?<per>[\d.]+) a message\).* (?<resent>[\d,]+) sent again after a node was lost; rate=(?<rate>\d+) obs/s")]
    private static partial Regex DoneLine();
}
