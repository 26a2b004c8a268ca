using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LstmStreams.Mqtt.Tests;

/// <summary>
/// A real Mosquitto broker for one test: 127.0.0.1, a free port, a throw-away config and persistence directory
/// (persistence on, so a restart keeps sessions and queued QoS 1 messages). Fails, never skips, when the
/// binary is missing.
/// </summary>
public sealed class MosquittoBroker : IDisposable
{
    private static readonly string[] Candidates = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto"];
    private readonly string _folder = Directory.CreateTempSubdirectory("lstm-streams-mosquitto-").FullName;
    private readonly string _binary;
    private Process? _process;

    /// <remarks>`user` keeps the broker as the test's user: started as root, Mosquitto would otherwise switch to
    /// the `mosquitto` user, which cannot write the persistence directory (and persistence silently fails).</remarks>
    public MosquittoBroker()
    {
        _binary = Candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("mosquitto is not installed, and the MQTT tests need a real broker: run `apt-get install mosquitto mosquitto-clients` (.ci/run does).");
        Port = LstmStreams.Tests.Shared.FreePorts.Next();
        File.WriteAllText(Path.Combine(_folder, "mosquitto.conf"), $"""
            listener {Port} 127.0.0.1
            allow_anonymous true
            user {Environment.UserName}
            persistence true
            persistence_location {_folder}/
            autosave_interval 1800
            max_queued_messages 1000000
            log_dest file {_folder}/mosquitto.log
            log_type error
            log_type warning
            log_type notice
            """);
        Start();
    }

    public int Port { get; }

    public string Log => File.Exists(Path.Combine(_folder, "mosquitto.log")) ? File.ReadAllText(Path.Combine(_folder, "mosquitto.log")) : "";

    /// <summary>Stops the broker as an operator would (SIGTERM: it saves its database) and starts it again on the same port.</summary>
    public void Restart()
    {
        Stop();
        Start();
    }

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Start()
    {
        var start = new ProcessStartInfo(_binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Path.Combine(_folder, "mosquitto.conf"));
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {_binary}");
        _process.ErrorDataReceived += (_, _) => { };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode} at start; its log:\n{Log}");
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }

        throw new InvalidOperationException($"mosquitto did not listen on 127.0.0.1:{Port} within 10 s; its log:\n{Log}");
    }

    private void Stop()
    {
        if (_process is null || _process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        if (!_process.WaitForExit(10_000)) _process.Kill();
        _process.Dispose();
        _process = null;
    }
}
