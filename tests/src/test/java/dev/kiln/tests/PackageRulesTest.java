package dev.kiln.tests;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
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
          .importPackages("dev.kiln");

  @Test
  void theSolverNeverSeesHowOpsRun() {
    noClasses()
        .that()
        .resideInAPackage("dev.kiln.engine.solver..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.kiln.engine.executor..",
            "dev.kiln.engine.snapshot..",
            "dev.kiln.engine.source..",
            "dev.kiln.engine.fileop..",
            "dev.kiln.engine.layer..",
            "dev.kiln.engine.content..",
            "dev.kiln.engine.worker..",
            "dev.kiln.exporter..")
        .check(KILN);
  }

  @Test
  void theGraphModelDependsOnNothingElseOfKiln() {
    noClasses()
        .that()
        .resideInAPackage("dev.kiln.engine.graph..")
        .should()
        // "dev.kiln.engine.(*).." would match graph itself and flag its own classes.
        .dependOnClassesThat(
            resideInAPackage("dev.kiln..").and(resideOutsideOfPackage("dev.kiln.engine.graph..")))
        .allowEmptyShould(true)
        .check(
            new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.kiln.engine.graph"));
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
