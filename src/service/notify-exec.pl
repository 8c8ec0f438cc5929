#!/usr/bin/perl
# Runs a command with a datagram socket connected to systemd's NOTIFY_SOCKET left open for it, as
# PADDOCK_NOTIFY_FD (or "failed: why"), then execs it: same pid, so systemd accepts what it sends
# with NotifyAccess=main. See notify-socket.ts. Descriptors this process inherited (the sockets of
# socket activation) stay open across the exec. Never stops the command from starting.
#   perl notify-exec.pl /usr/bin/node ... paddock.mjs run --config paddock.yaml
use strict; use warnings; use Socket; use Fcntl;
our $s;
my $p = $ENV{NOTIFY_SOCKET} // '';
$p =~ s/^@/\0/;   # the abstract namespace
eval {
  die "NOTIFY_SOCKET is not set\n" if $p eq '';
  socket($s, PF_UNIX, SOCK_DGRAM, 0) or die "$!\n";
  connect($s, pack_sockaddr_un($p)) or die "$!\n";
  fcntl($s, F_SETFD, 0) or die "$!\n";
  # Non-blocking: a full systemd queue drops a status line rather than stalling the host.
  fcntl($s, F_SETFL, fcntl($s, F_GETFL, 0) | O_NONBLOCK) or die "$!\n";
  $ENV{PADDOCK_NOTIFY_FD} = fileno($s);
  1;
} or do { my $e = $@; chomp $e; $ENV{PADDOCK_NOTIFY_FD} = "failed: $e"; };
exec { $ARGV[0] } @ARGV;
die "paddock: cannot exec $ARGV[0]: $!\n";
