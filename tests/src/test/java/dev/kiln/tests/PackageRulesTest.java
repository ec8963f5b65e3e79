package dev.kiln.tests;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Pins the package dependency rules written down in docs/packages.md. */
class PackageRulesTest {
  private static final JavaClasses KILN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          // The engine's test-jar (fixtures other modules' tests use) is tests too.
          .withImportOption(location -> !location.contains("-tests.jar"))
          .importPackages("dev.kiln");

  /** How ops run: what the solver must never see. */
  private static final String[] MACHINERY = {
    "dev.kiln.engine.executor..",
    "dev.kiln.engine.snapshot..",
    "dev.kiln.engine.source..",
    "dev.kiln.engine.fileop..",
    "dev.kiln.engine.layer..",
    "dev.kiln.engine.content..",
    "dev.kiln.engine.worker..",
    "dev.kiln.exporter.."
  };

  @Test
  void theSolverNeverSeesHowOpsRun() {
    noClasses()
        .that()
        .resideInAPackage("dev.kiln.engine.solver..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(MACHINERY)
        .check(KILN);
  }

  @Test
  void theGraphModelDependsOnNothingElseOfKiln() {
    noClasses()
        .that()
        .resideInAPackage("dev.kiln.engine.graph..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(MACHINERY)
        .orShould()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.kiln.engine.solver..",
            "dev.kiln.engine.progress..",
            "dev.kiln.engine.run..",
            "dev.kiln.cli..")
        .check(KILN);
  }

  @Test
  void theSolverAndTheWorkerNeverSeeTheCluster() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.kiln.engine.solver..", "dev.kiln.engine.worker..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.kiln.engine.placement..", "dev.kiln.engine.cluster..")
        .check(KILN);
  }

  @Test
  void onlyTheCliPrints() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.kiln.cli..")
        .should()
        .accessField(System.class, "out")
        .orShould()
        .accessField(System.class, "err")
        .check(KILN);
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("dev.kiln.(*)..").should().beFreeOfCycles().check(KILN);
    slices().matching("dev.kiln.engine.(*)..").should().beFreeOfCycles().check(KILN);
  }
}
