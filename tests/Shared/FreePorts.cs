using System.Net;
using System.Net.Sockets;

namespace LstmStreams.Tests.Shared;

/// <summary>Ports for the throw-away servers the tests start (PostgreSQL, Mosquitto) on 127.0.0.1.</summary>
internal static class FreePorts
{
    /// <summary>A TCP port on the loopback that was free a moment ago (the OS picks it).</summary>
    public static int Next()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
