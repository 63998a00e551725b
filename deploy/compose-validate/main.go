// Command compose-validate loads a Compose file with compose-go — the library `docker compose`
// itself uses — so the file is checked against the Compose Specification schema, interpolated
// and normalized exactly as `docker compose config` would, without a Docker engine.
//
//	go run . [-print] [-scale service] [-grace service] path/to/docker-compose.yml
//
// Extra checks for services named with -scale (repeatable): they must be scalable, i.e. have no
// container_name and publish no fixed host ports. For services named with -grace (toa workers,
// repeatable): stop_grace_period must cover the worker's --shutdown-grace (300 s when not given,
// the largest default) plus 15 s, so that `docker compose stop` never SIGKILLs a worker whose
// in-flight plays are still finishing (they would be paid again elsewhere).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
)

// The toa worker's largest default grace and how long after it the worker may still take to exit
// (src/worker/shutdown.ts: MAX_DEFAULT_GRACE_SECONDS, FORCE_AFTER_GRACE_SECONDS + a margin).
const (
	maxDefaultGrace = 300 * time.Second
	exitMargin      = 15 * time.Second
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	printCfg := flag.Bool("print", false, "print the normalized configuration (like `docker compose config`)")
	var scale, grace multi
	flag.Var(&scale, "scale", "service that must be scalable with --scale (repeatable)")
	flag.Var(&grace, "grace", "toa worker service whose stop_grace_period must cover its --shutdown-grace (repeatable)")
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
	for _, name := range grace {
		svc, ok := project.Services[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("service %q (a toa worker) does not exist", name))
			continue
		}
		workerGrace := maxDefaultGrace
		for i, arg := range svc.Command {
			value, found := "", false
			if arg == "--shutdown-grace" && i+1 < len(svc.Command) {
				value, found = svc.Command[i+1], true
			} else if strings.HasPrefix(arg, "--shutdown-grace=") {
				value, found = strings.TrimPrefix(arg, "--shutdown-grace="), true
			}
			if found {
				seconds, err := strconv.ParseFloat(value, 64)
				if err != nil || seconds < 0 {
					problems = append(problems, fmt.Sprintf("service %q: --shutdown-grace %q is not a number of seconds", name, value))
					continue
				}
				workerGrace = time.Duration(seconds * float64(time.Second))
			}
		}
		stop := 10 * time.Second // Docker's default
		if svc.StopGracePeriod != nil {
			stop = time.Duration(*svc.StopGracePeriod)
		}
		if stop < workerGrace+exitMargin {
			problems = append(problems, fmt.Sprintf("service %q: stop_grace_period %s is shorter than the worker's --shutdown-grace %s + %s: "+
				"`docker compose stop` would SIGKILL it while its in-flight plays finish", name, stop, workerGrace, exitMargin))
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
