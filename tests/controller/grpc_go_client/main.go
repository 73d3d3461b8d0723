// A real grpc-go client that finds its servers through etcd's gRPC resolver
// (go.etcd.io/etcd/clientv3/naming/resolver, as Debian packages it), dialled
// as the consumer guide says: "etcd:///" + the registration prefix of the
// service. Every interval it calls grpc.health.v1.Health/Check with
// round_robin and prints one line per call: "ok <peer address>" or
// "err <reason>". Built and run by grpc_go_client_test.cc.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/clientv3/naming/resolver"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
)

func main() {
	endpoint := flag.String("etcd", "127.0.0.1:2379", "etcd endpoint")
	target := flag.String("target", "etcd:///services/greeter", "dial target")
	interval := flag.Duration("interval", 100*time.Millisecond, "time between calls")
	flag.Parse()

	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{*endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Println("err etcd client:", err)
		os.Exit(1)
	}
	builder, err := resolver.NewBuilder(cli)
	if err != nil {
		fmt.Println("err resolver:", err)
		os.Exit(1)
	}
	conn, err := grpc.Dial(*target, grpc.WithInsecure(), grpc.WithResolvers(builder),
		grpc.WithDefaultServiceConfig(`{"loadBalancingPolicy":"round_robin"}`))
	if err != nil {
		fmt.Println("err dial:", err)
		os.Exit(1)
	}
	health := grpc_health_v1.NewHealthClient(conn)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		var p peer.Peer
		_, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{}, grpc.Peer(&p))
		cancel()
		if err != nil {
			fmt.Println("err", err)
		} else {
			fmt.Println("ok", p.Addr.String())
		}
		time.Sleep(*interval)
	}
}
