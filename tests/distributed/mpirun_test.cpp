// `cnn train` under mpirun on this machine: 2 and 4 ranks follow one process, replicas stay
// bit-identical, a run continues with any number of ranks, and a rank that dies, hangs or
// fails ends the job with a message. Skipped where mpirun is missing.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cnn/train/checkpoint.h"
#include "support/process.h"

namespace cnn {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// mpirun as root (CI runs as root) with shared memory between the ranks, and more ranks than
// cores allowed (4 ranks on a 2-core machine).
std::string mpirun(int ranks) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader "
         "mpirun --oversubscribe -np " +
         std::to_string(ranks) + " ";
}

using testing::run_shell;

class Mpirun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v mpirun > /dev/null 2>&1") != 0)
      GTEST_SKIP() << "no mpirun (Debian's openmpi-bin)";
    dir_ = fs::temp_directory_path() / ("cnn_mpirun_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string out(const std::string& name) const { return (dir_ / name).string(); }
  // `cnn train <args>` on `ranks` processes (0: one process without mpirun).
  testing::ProcessResult train(int ranks, const std::string& args) const {
    return run_shell((ranks == 0 ? std::string() : mpirun(ranks)) + CNN_BINARY + " train " + args);
  }
  fs::path dir_;
};

// 50 steps of 128 images, sync batch norm, a small constant learning rate.
const std::string kFollow =
    "--epochs 1 --train-limit 6400 --test-limit 250 --batch-size 128 --seed 3 "
    "--sync-bn --lr 0.001 --schedule constant ";

std::vector<double> step_losses(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string field;
    for (int i = 0; i < 3; ++i) std::getline(row, field, ',');
    out.push_back(std::stod(field));
  }
  return out;
}

// || a - b || / || b || over the trainable parameters of two checkpoints' models (not the
// batch-norm running statistics, buffers).
double parameter_difference(const std::string& a, const std::string& b) {
  const train::Checkpoint ca = train::load_checkpoint(a), cb = train::load_checkpoint(b);
  double diff = 0.0, norm = 0.0;
  int compared = 0;
  for (const auto& [name, t] : ca.tensors) {
    if (name.rfind("model.", 0) != 0 || t.dtype() != DType::f32 ||
        name.find(".running_") != std::string::npos)
      continue;
    const std::vector<float> u = t.to_vector(), v = cb.tensors.at(name).to_vector();
    for (size_t i = 0; i < u.size(); ++i) {
      diff += (static_cast<double>(u[i]) - v[i]) * (static_cast<double>(u[i]) - v[i]);
      norm += static_cast<double>(v[i]) * v[i];
    }
    ++compared;
  }
  EXPECT_GT(compared, 40);
  return std::sqrt(diff / norm);
}

// What float32 allows: one process with 1 and with 2 threads (another summation order) already
// differs from itself by up to 2-3e-4 in the loss after 50 steps, and by 1.5e-4 in the
// parameters (measured), as rounding differences of the gradients' long sums grow through the
// steps. The ranks' runs are held to the first steps' agreement (1e-5), to that growth (2e-3)
// and to 1e-4 or twice the floor measured here, whichever is larger.
TEST_F(Mpirun, TwoAndFourRanksFollowOneProcess) {
  ASSERT_EQ(
      train(0, kFollow + "--threads 1 --step-log " + out("1.csv") + " --out " + out("one")).code,
      0);
  const std::vector<double> one = step_losses(out("1.csv"));
  ASSERT_EQ(one.size(), 50u);
  // the floor: the same process with 2 threads
  ASSERT_EQ(train(0, kFollow + "--threads 2 --out " + out("two-threads")).code, 0);
  const double floor = parameter_difference(out("two-threads") + "/checkpoint-latest.ckpt",
                                            out("one") + "/checkpoint-latest.ckpt");
  std::printf("one process, 1 against 2 threads: parameters differ by %.3g\n", floor);
  for (const int ranks : {2, 4}) {
    const std::string name = std::to_string(ranks);
    const auto r = train(ranks, kFollow + "--threads 1 --check-replicas --step-log " +
                                    out(name + ".csv") + " --out " + out(name));
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("data-parallel: MPI"), std::string::npos) << r.output;
    const std::vector<double> many = step_losses(out(name + ".csv"));
    ASSERT_EQ(many.size(), one.size());
    for (size_t i = 0; i < one.size(); ++i) {
      const double relative = std::abs(many[i] - one[i]) / std::abs(one[i]);
      EXPECT_LE(relative, i < 3 ? 1e-5 : 2e-3) << ranks << " ranks, step " << i + 1;
    }
    EXPECT_LE(parameter_difference(out(name) + "/checkpoint-latest.ckpt",
                                   out("one") + "/checkpoint-latest.ckpt"),
              std::max(1e-4, 2.0 * floor))
        << ranks << " ranks";
  }
}

// Stopped with SIGUSR1 (which mpirun forwards) at 2 ranks, continued at 1 and at 4.
TEST_F(Mpirun, ARunStoppedAtTwoRanksContinuesAtOneAndFour) {
  const std::string common =
      "--epochs 1 --train-limit 4096 --test-limit 250 --batch-size 128 --seed 4 "
      "--lr 0.001 --schedule constant --sync-bn ";
  ASSERT_EQ(train(0, common + "--threads 1 --out " + out("straight")).code, 0);
  // float32's floor, as in TwoAndFourRanksFollowOneProcess: the same run with 2 threads
  ASSERT_EQ(train(0, common + "--out " + out("two-threads") + " --threads 2").code, 0);
  const double floor = parameter_difference(out("two-threads") + "/checkpoint-latest.ckpt",
                                            out("straight") + "/checkpoint-latest.ckpt");
  const std::string log = out("stopped.log");
  FILE* pipe = ::popen((mpirun(2) + CNN_BINARY + " train " + common + "--threads 1 --out " +
                        out("stopped") + " > " + log + " 2>&1 & echo $!")
                           .c_str(),
                       "r");
  ASSERT_NE(pipe, nullptr);
  int pid = 0;
  ASSERT_EQ(std::fscanf(pipe, "%d", &pid), 1);
  ::pclose(pipe);
  // mpirun's pid is the shell's child: wait for the first steps, then signal it
  for (int i = 0; i < 200 && !fs::exists(out("stopped") + "/config.json"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(std::system(("pkill -USR1 -f '[m]pirun.*" + out("stopped") + "'").c_str()), 0);
  for (int i = 0; i < 600 && ::kill(pid, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  if (text.find("stopped at epoch 1, step") == std::string::npos)
    GTEST_SKIP() << "the run ended before the signal arrived:\n" << text;
  fs::copy(out("stopped"), out("stopped4"), fs::copy_options::recursive);
  const auto one = train(0, "--resume " + out("stopped"));
  ASSERT_EQ(one.code, 0) << one.output;
  const auto four = train(4, "--resume " + out("stopped4"));
  ASSERT_EQ(four.code, 0) << four.output;
  for (const char* resumed : {"stopped", "stopped4"}) {
    EXPECT_LE(parameter_difference(out(resumed) + "/checkpoint-latest.ckpt",
                                   out("straight") + "/checkpoint-latest.ckpt"),
              std::max(1e-4, 2.0 * floor))
        << resumed;
  }
}

// kill -9 of one rank mid-epoch: mpirun ends the job at once, naming the rank; the checkpoint
// of the epoch before is intact and continues.
TEST_F(Mpirun, AKilledRankEndsTheJobAndTheRunContinues) {
  const std::string common =
      "--train-limit 2048 --test-limit 250 --batch-size 64 --threads 1 --timeout 20 ";
  ASSERT_EQ(train(2, common + "--epochs 1 --out " + out("run")).code, 0);
  const std::string log = out("killed.log");
  ASSERT_EQ(std::system((mpirun(2) + CNN_BINARY + " train --resume " + out("run") +
                         " --epochs 3 > " + log + " 2>&1 &")
                            .c_str()),
            0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const auto start = Clock::now();
  // the newest of the two ranks (`cnn train --resume <run>`, not mpirun)
  ASSERT_EQ(std::system(("pkill -KILL -n -f '^" + std::string(CNN_BINARY) + " train --resume " +
                         out("run") + "'")
                            .c_str()),
            0);
  while (std::system(("pgrep -f '[m]pirun.*" + out("run") + "' > /dev/null").c_str()) == 0 &&
         Clock::now() - start < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_LT(seconds, 20.0);  // under --timeout
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_TRUE(text.find("exited on signal 9") != std::string::npos ||
              text.find("rank") != std::string::npos)
      << text;
  EXPECT_NO_THROW(train::load_checkpoint(out("run") + "/checkpoint-latest.ckpt"));
  const auto resumed = train(0, "--resume " + out("run") + " --epochs 2");
  EXPECT_EQ(resumed.code, 0) << resumed.output;
}

// A rank that stops answering (SIGSTOP) is found by the others' timeout.
TEST_F(Mpirun, AHungRankEndsTheJobAfterTheTimeout) {
  const std::string log = out("hung.log");
  ASSERT_EQ(std::system((mpirun(2) + CNN_BINARY +
                         " train --train-limit 4096 --test-limit 250 --batch-size 64 --threads 1 "
                         "--epochs 2 --timeout 3 --out " +
                         out("run") + " > " + log + " 2>&1 &")
                            .c_str()),
            0);
  for (int i = 0; i < 200 && !fs::exists(out("run") + "/config.json"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const auto start = Clock::now();
  const std::string rank = "'^" + std::string(CNN_BINARY) + " train .*" + out("run") + "'";
  ASSERT_EQ(std::system(("pkill -STOP -n -f " + rank).c_str()), 0);
  while (std::system(("pgrep -f '[m]pirun.*" + out("run") + "' > /dev/null").c_str()) == 0 &&
         Clock::now() - start < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::system(("pkill -KILL -f " + rank).c_str());  // the stopped one, if mpirun left it
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_LT(seconds, 15.0);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("has waited"), std::string::npos) << text;
  EXPECT_NE(text.find("--timeout 3"), std::string::npos) << text;
  EXPECT_NE(text.find("while this rank was at epoch"), std::string::npos) << text;
}

// Ranks that build different models are told so on every rank, before any step.
TEST_F(Mpirun, DifferentModelsAreNamedOnEveryRank) {
  const std::string common =
      "--train-limit 256 --test-limit 100 --epochs 1 --threads 1 --out " + out("run") + " ";
  const auto r = run_shell(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
      "OMPI_MCA_btl=self,vader mpirun --oversubscribe -np 1 " +
      std::string(CNN_BINARY) + " train --model resnet20 " + common + ": -np 1 " + CNN_BINARY +
      " train --model resnet32 " + common);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("do not build the same model"), std::string::npos) << r.output;
}

// A bad file seen by one rank: that rank's error ends the job at once.
TEST_F(Mpirun, OneRanksErrorEndsTheJob) {
  fs::create_directories(out("empty"));
  const std::string common =
      "--train-limit 256 --test-limit 100 --epochs 1 --threads 1 --out " + out("run") + " ";
  const auto start = Clock::now();
  const auto r = run_shell(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
      "OMPI_MCA_btl=self,vader mpirun --oversubscribe -np 1 " +
      std::string(CNN_BINARY) + " train " + common + ": -np 1 " + CNN_BINARY + " train --data " +
      out("empty") + " " + common);
  EXPECT_NE(r.code, 0);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 30.0);
  EXPECT_NE(r.output.find("rank 1 of 2"), std::string::npos) << r.output;
}

// Two "machines": network namespaces joined by veth pairs (scripts/netns/hosts.sh), the ranks
// launched into them by scripts/netns/agent.sh in place of ssh, talking over TCP only. The
// run equals 2 ranks on one machine (shared memory), step for step and bit for bit.
TEST_F(Mpirun, TwoHostsOverTcpEqualOneHost) {
  const std::string scripts = std::string(CNN_SOURCE_DIR) + "/scripts/netns/";
  if (::geteuid() != 0) GTEST_SKIP() << "network namespaces need root";
  if (std::system(("'" + scripts + "hosts.sh' up 2 > /dev/null 2>&1").c_str()) != 0) {
    std::system(("'" + scripts + "hosts.sh' down > /dev/null 2>&1").c_str());
    GTEST_SKIP() << "this machine does not allow network namespaces (ip netns add)";
  }
  {
    std::ofstream hosts(out("hosts"));
    hosts << "10.231.0.11 slots=1\n10.231.0.12 slots=1\n";
  }
  const std::string common =
      "--epochs 1 --train-limit 1024 --test-limit 250 --batch-size 128 --threads 1 --seed 6 "
      "--check-replicas ";
  const auto two_hosts = run_shell(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --hostfile " +
      out("hosts") + " --mca plm_rsh_agent " + scripts +
      "agent.sh --mca plm_rsh_no_tree_spawn 1 --mca oob_tcp_if_include 10.231.0.0/24 "
      "--mca btl tcp,self --mca btl_tcp_if_include 10.231.0.0/24 " +
      CNN_BINARY + " train " + common + "--step-log " + out("tcp.csv") + " --out " + out("tcp"));
  std::system(("'" + scripts + "hosts.sh' down > /dev/null 2>&1").c_str());
  ASSERT_EQ(two_hosts.code, 0) << two_hosts.output;
  EXPECT_NE(two_hosts.output.find("2 ranks on 2 hosts"), std::string::npos) << two_hosts.output;
  const auto one_host = train(2, common + "--step-log " + out("shm.csv") + " --out " + out("shm"));
  ASSERT_EQ(one_host.code, 0) << one_host.output;
  EXPECT_NE(one_host.output.find("2 ranks on 1 host"), std::string::npos) << one_host.output;
  EXPECT_EQ(step_losses(out("tcp.csv")), step_losses(out("shm.csv")));
  EXPECT_EQ(parameter_difference(out("tcp") + "/checkpoint-latest.ckpt",
                                 out("shm") + "/checkpoint-latest.ckpt"),
            0.0);
}

}  // namespace
}  // namespace cnn
