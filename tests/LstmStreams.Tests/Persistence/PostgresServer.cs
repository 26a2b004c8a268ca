using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace LstmStreams.Tests.Persistence;

/// <summary>
/// A real, throw-away PostgreSQL server for one test class (an xUnit class fixture): Debian's <c>postgresql</c>
/// binaries (<c>/usr/lib/postgresql/VERSION/bin</c>), <c>initdb</c> into a temporary folder, listening on
/// 127.0.0.1 only on a free port with its unix socket inside that folder, trust authentication, fsync off.
/// Stopped and deleted on dispose. As root (CI), the server runs as the <c>postgres</c> user: initdb and
/// postgres refuse to run as root. Missing binaries fail the tests (never skip them).
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string Superuser = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _root;
    private readonly string _data;
    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private int _databases;

    /// <summary>initdb, a free port, start; throws with what to install when the binaries are missing.</summary>
    public PostgresServer()
    {
        _bin = FindBinaries();
        _asPostgresUser = Environment.IsPrivilegedProcess;
        _root = Directory.CreateTempSubdirectory("lstm-pg-").FullName;
        _data = Path.Combine(_root, "data");
        try
        {
            if (_asPostgresUser) Run("chown", [Superuser + ":", _root]);
            RunAsServerUser(Path.Combine(_bin, "initdb"),
                ["-D", _data, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
            for (int attempt = 1; ; attempt++)
            {
                Port = LstmStreams.Tests.Shared.FreePorts.Next();
                // Appending keeps the file's owner (the server user). The last setting of a name wins.
                File.AppendAllText(Path.Combine(_data, "postgresql.conf"), string.Join('\n',
                    "",
                    "# lstm-streams tests",
                    "listen_addresses = '127.0.0.1'",
                    $"port = {Port}",
                    $"unix_socket_directories = '{_root}'",
                    "fsync = off",
                    "synchronous_commit = off",
                    "full_page_writes = off",
                    "max_connections = 200",
                    "shared_buffers = 32MB",
                    ""));
                try
                {
                    Start();
                    break;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    // Most likely someone took the port between FreePort and the bind: another port.
                }
            }
        }
        catch
        {
            Delete();
            throw;
        }
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>The folder of the server's binaries (e.g. /usr/lib/postgresql/15/bin).</summary>
    public string BinaryFolder => _bin;

    /// <summary>Whether the server is running (as far as <see cref="Start"/> and <see cref="Stop"/> know).</summary>
    public bool IsRunning { get; private set; }

    /// <summary>The connection string of <paramref name="database"/> (Npgsql form, superuser, no password).</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username={Superuser};Database={database}";

    /// <summary>Creates an empty database no one else uses; returns its connection string.</summary>
    public string CreateDatabase()
    {
        string name = "t" + Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture) + "_" + Guid.NewGuid().ToString("N")[..8];
        using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        command.ExecuteNonQuery();
        return ConnectionString(name);
    }

    /// <summary>Starts the server (<c>pg_ctl start -w</c>: returns once it accepts connections).</summary>
    /// <exception cref="InvalidOperationException">It did not start; the message holds its log.</exception>
    public void Start()
    {
        string log = Path.Combine(_root, "server.log");
        try
        {
            RunAsServerUser(Path.Combine(_bin, "pg_ctl"), ["start", "-D", _data, "-w", "-t", "60", "-l", log]);
        }
        catch (InvalidOperationException e)
        {
            string tail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(20)) : "(no log)";
            throw new InvalidOperationException($"{e.Message}\nserver log:\n{tail}", e);
        }

        IsRunning = true;
    }

    /// <summary>Stops the server: <c>pg_ctl stop -m fast</c> (sessions are terminated, a clean shutdown).</summary>
    public void Stop(string mode = "fast")
    {
        RunAsServerUser(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", _data, "-w", "-t", "60", "-m", mode]);
        IsRunning = false;
    }

    /// <summary>Stops the server (immediately: nothing in it matters) and deletes its folder.</summary>
    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(_data, "postmaster.pid"))) Stop("immediate");
        }
        catch (InvalidOperationException)
        {
        }

        NpgsqlConnection.ClearAllPools();
        Delete();
    }

    private void Delete()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The newest <paramref name="parent"/>/*/bin holding initdb, pg_ctl and postgres (PATH is not
    /// used: /usr/local/bin/pg_ctl may be something else).</summary>
    /// <exception cref="InvalidOperationException">None: the message says to apt-get install postgresql.</exception>
    internal static string FindBinaries(string parent = "/usr/lib/postgresql")
    {
        var found = Directory.Exists(parent)
            ? Directory.GetDirectories(parent)
                .Select(version => (Version: int.TryParse(Path.GetFileName(version), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1, Bin: Path.Combine(version, "bin")))
                .Where(c => new[] { "initdb", "pg_ctl", "postgres" }.All(tool => File.Exists(Path.Combine(c.Bin, tool))))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Bin)
                .FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            $"The PostgreSQL tests need a PostgreSQL server's binaries (initdb, pg_ctl, postgres under {parent}/VERSION/bin) and found none: " +
            "install them with `apt-get install postgresql` (.ci/run does). The tests start their own throw-away server on 127.0.0.1.");
    }

    private void RunAsServerUser(string program, IReadOnlyList<string> arguments)
    {
        if (_asPostgresUser) Run("runuser", ["-u", Superuser, "--", program, .. arguments]);
        else Run(program, arguments);
    }

    private void Run(string program, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root, // the postgres user may not be able to enter ours
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish in {CommandTimeout.TotalSeconds} s");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
    }
}
