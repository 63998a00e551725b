// Command compose-validate loads a Compose file with compose-go — the library `docker compose`
// itself uses — so the file is checked against the Compose Specification schema, interpolated
// and normalized exactly as `docker compose config` would, without a Docker engine.
//
//	go run . [-print] [-scale service] path/to/docker-compose.yml
//
// Extra checks for services named with -scale (repeatable): they must be scalable, i.e. have no
// container_name and publish no fixed host ports.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	printCfg := flag.Bool("print", false, "print the normalized configuration (like `docker compose config`)")
	var scale multi
	flag.Var(&scale, "scale", "service that must be scalable with --scale (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: compose-validate [-print] [-scale svc] docker-compose.yml")
		os.Exit(2)
	}
	file, _ := filepath.Abs(flag.Arg(0))
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(filepath.Dir(file)),
		cli.WithOsEnv,
		cli.WithDotEnv,
		cli.WithName("toa"),
		cli.WithProfiles([]string{"*"}),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	problems := []string{}
	for _, name := range scale {
		svc, ok := project.Services[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("service %q (to be scaled) does not exist", name))
			continue
		}
		if svc.ContainerName != "" {
			problems = append(problems, fmt.Sprintf("service %q sets container_name, so it cannot be scaled", name))
		}
		for _, p := range svc.Ports {
			if p.Published != "" && !strings.Contains(p.Published, "-") {
				problems = append(problems, fmt.Sprintf("service %q publishes fixed host port %s, so it cannot be scaled", name, p.Published))
			}
		}
	}
	if len(problems) > 0 {
		fail(fmt.Errorf("%s", strings.Join(problems, "\n")))
	}
	if *printCfg {
		out, err := project.MarshalYAML()
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(out)
	}
	names := project.ServiceNames()
	fmt.Fprintf(os.Stderr, "compose-validate: %s is valid (%d services: %s; %d volumes)\n",
		filepath.Base(file), len(names), strings.Join(names, ", "), len(project.Volumes))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose-validate: INVALID: %v\n", err)
	os.Exit(1)
}
