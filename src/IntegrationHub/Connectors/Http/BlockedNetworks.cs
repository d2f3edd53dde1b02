using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace IntegrationHub.Connectors.Http;

/// <summary>
/// The networks the http connectors never connect to (<see cref="ConnectorsOptions.HttpBlockedNetworks"/>). The check
/// runs where the connection is made, on the addresses the host name resolved to, so neither a redirect nor a name that
/// resolves differently on a second lookup gets past it.
/// </summary>
internal sealed class BlockedNetworks(IReadOnlyList<IPNetwork> networks)
{
    /// <summary>Parses a comma-separated list of CIDR ranges; false when an entry is none.</summary>
    public static bool TryParse(string? list, [NotNullWhen(true)] out BlockedNetworks? blocked)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!IPNetwork.TryParse(entry, out var network))
            {
                blocked = null;
                return false;
            }
            networks.Add(network);
        }
        blocked = new BlockedNetworks(networks);
        return true;
    }

    public bool Contains(IPAddress address)
    {
        // An IPv4 address written as IPv6 (::ffff:169.254.169.254) is the IPv4 address.
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in networks)
        {
            if (network.Contains(plain))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host and connects to the first address it may
    /// reach, or throws <see cref="BlockedAddressException"/> when every address is blocked.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = Array.FindAll(addresses, address => !Contains(address));
        if (allowed.Length == 0)
        {
            throw new BlockedAddressException(host, addresses);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>Every address of a host is in a blocked network: the request was not sent.</summary>
internal sealed class BlockedAddressException(string host, IPAddress[] addresses) : Exception(
    $"{host} is {(addresses.Length == 1 ? "" : "only ")}at {string.Join(", ", addresses.Select(a => a.ToString()))}, in a network the hub does not connect to (Connectors:HttpBlockedNetworks).");
