using System.Net;
using System.Net.Sockets;

namespace Judge.Providers.Tests.Fakes;

/// <summary>
/// A raw TCP listener on 127.0.0.1 (an unused port) that hands every connection to <see cref="Serve"/>:
/// the plumbing shared by the scripted HTTP fakes. A subclass calls <see cref="StartAccepting"/> once
/// its own state is ready.
/// </summary>
public abstract class LoopbackTcpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    protected LoopbackTcpServer(int backlog)
    {
        _listener.Start(backlog);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    public int Port { get; }

    /// <summary>Cancelled when the server is disposed.</summary>
    protected CancellationToken Stopping => _stop.Token;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    protected void StartAccepting() => _loop = Task.Run(AcceptLoop);

    /// <summary>Handles one connection (and disposes it).</summary>
    protected abstract Task Serve(TcpClient client);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(() => Serve(client));
        }
    }
}
